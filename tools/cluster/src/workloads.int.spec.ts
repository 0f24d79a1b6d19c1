// The local control plane behaves like a cluster with GPU nodes: the scheduler honours extended
// resources, nodeSelector, affinity and taints; controllers run workloads; kwok drives pod phases,
// including simulated failures; ownerReference garbage collection works.
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { eventually } from '@kaito-ts/core/testing';
import {
  addGpuNode,
  COMPLETE_AFTER_ANNOTATION,
  deleteGpuNodes,
  simulateAnnotations,
  useNamespace,
  waitForNodeReady,
} from './testing/index.js';

const ns = useNamespace('workloads');
const created: string[] = [];
const uniquePool = (): string => `p${Math.random().toString(36).slice(2, 8)}`;

afterAll(async () => {
  await deleteGpuNodes(ns.clients.core, created);
});

async function gpuNode(sku: string, pool: string, extra: { taints?: { key: string; value: string; effect: string }[] } = {}) {
  const node = await addGpuNode(ns.clients.core, { sku, pool, ...extra });
  const name = node.metadata?.name ?? '';
  created.push(name);
  await waitForNodeReady(ns.clients.core, name);
  return name;
}

const container = (gpus?: number): V1Container => ({
  name: 'main',
  image: 'registry.example/kaito-ts/fake:1',
  ...(gpus !== undefined ? { resources: { limits: { 'nvidia.com/gpu': String(gpus) } } } : {}),
});

async function pod(name: string): Promise<V1Pod> {
  return ns.clients.core.readNamespacedPod({ name, namespace: ns.name });
}

function condition(p: V1Pod, type: string) {
  return p.status?.conditions?.find((c) => c.type === type);
}

async function createPod(name: string, spec: Partial<V1PodSpec>, annotations: Record<string, string> = {}) {
  await ns.clients.core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name, annotations }, spec: { containers: [container()], ...spec } },
  });
}

describe('scheduling on fake GPU nodes', () => {
  it('keeps a StatefulSet asking for nvidia.com/gpu: 1 Pending without a GPU node and makes it Ready once a Standard_NC6s_v3 node is added', async () => {
    const pool = uniquePool();
    await ns.clients.apps.createNamespacedStatefulSet({
      namespace: ns.name,
      body: {
        metadata: { name: 'infer' },
        spec: {
          serviceName: 'infer-headless',
          replicas: 1,
          selector: { matchLabels: { app: 'infer' } },
          template: {
            metadata: { labels: { app: 'infer' } },
            spec: { nodeSelector: { agentpool: pool }, containers: [container(1)] },
          },
        },
      },
    });

    const pending = await eventually(async () => {
      const p = await pod('infer-0');
      expect(condition(p, 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      return p;
    });
    expect(pending.status?.phase).toBe('Pending');

    const node = await gpuNode('Standard_NC6s_v3', pool);

    await eventually(
      async () => {
        const sts = await ns.clients.apps.readNamespacedStatefulSet({ name: 'infer', namespace: ns.name });
        expect(sts.status?.readyReplicas).toBe(1);
      },
      { timeoutMs: 60_000, description: 'StatefulSet infer ready' },
    );
    const running = await pod('infer-0');
    expect(running.spec?.nodeName).toBe(node);
    expect(running.status?.phase).toBe('Running');
    expect(condition(running, 'Ready')?.status).toBe('True');
  });

  it('leaves a pod asking for more GPUs than any node has Pending with Insufficient nvidia.com/gpu', async () => {
    const pool = uniquePool();
    await gpuNode('Standard_NC6s_v3', pool);
    await createPod('too-many-gpus', { nodeSelector: { agentpool: pool }, containers: [container(2)] });
    await eventually(async () => {
      const p = await pod('too-many-gpus');
      expect(condition(p, 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      expect(condition(p, 'PodScheduled')?.message).toContain('Insufficient nvidia.com/gpu');
    });
  });

  it('honours node affinity on the instance type and the sku=gpu:NoSchedule taint', async () => {
    const pool = uniquePool();
    await gpuNode('Standard_NC6s_v3', pool, { taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }] });
    const affinity = (instanceType: string): Partial<V1PodSpec> => ({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [instanceType] },
                  { key: 'agentpool', operator: 'In', values: [pool] },
                ],
              },
            ],
          },
        },
      },
    });
    const toleration = { tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] };

    await createPod('no-toleration', affinity('Standard_NC6s_v3'));
    await createPod('wrong-type', { ...affinity('Standard_NC24ads_A100_v4'), ...toleration });
    await createPod('fits', { ...affinity('Standard_NC6s_v3'), ...toleration });

    await eventually(async () => {
      expect(condition(await pod('fits'), 'Ready')?.status).toBe('True');
    });
    const noToleration = condition(await pod('no-toleration'), 'PodScheduled');
    expect(noToleration).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(noToleration?.message).toContain('untolerated taint');
    const wrongType = condition(await pod('wrong-type'), 'PodScheduled');
    expect(wrongType).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(wrongType?.message).toContain("didn't match Pod's node affinity/selector");
  });
});

describe('workloads and simulated outcomes', () => {
  let pool = '';
  beforeAll(async () => {
    // Eight GPUs, so the GPU-requesting workloads below (some of which keep theirs) all fit.
    pool = uniquePool();
    await gpuNode('Standard_ND96isr_H100_v5', pool);
  });
  const onPool = (): Partial<V1PodSpec> => ({ nodeSelector: { agentpool: pool } });

  it('completes a Job', async () => {
    await ns.clients.batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'tune' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { annotations: { [COMPLETE_AFTER_ANNOTATION]: '1s' } },
            spec: { ...onPool(), restartPolicy: 'Never', containers: [container(1)] },
          },
        },
      },
    });
    await eventually(
      async () => {
        const job = await ns.clients.batch.readNamespacedJob({ name: 'tune', namespace: ns.name });
        expect(job.status?.succeeded).toBe(1);
        expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
      },
      { timeoutMs: 60_000, description: 'Job tune Complete' },
    );
  });

  it('shows a simulated CrashLoopBackOff as the container waiting reason', async () => {
    await ns.clients.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'crasher' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'crasher' } },
          template: {
            metadata: {
              labels: { app: 'crasher' },
              annotations: simulateAnnotations('CrashLoopBackOff', { message: 'CUDA error: no kernel image', exitCode: 3 }),
            },
            spec: { ...onPool(), containers: [container(1)] },
          },
        },
      },
    });
    const p = await eventually(async () => {
      const pods = await ns.clients.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=crasher' });
      const status = pods.items[0]?.status?.containerStatuses?.[0];
      expect(status?.state?.waiting?.reason).toBe('CrashLoopBackOff');
      return pods.items[0]!;
    });
    const status = p.status?.containerStatuses?.[0];
    expect(status?.ready).toBe(false);
    expect(status?.restartCount).toBeGreaterThan(0);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 3, message: 'CUDA error: no kernel image' });
    expect(condition(p, 'Ready')?.status).toBe('False');
    const deploy = await ns.clients.apps.readNamespacedDeployment({ name: 'crasher', namespace: ns.name });
    expect(deploy.status?.availableReplicas ?? 0).toBe(0);
  });

  it('shows a simulated OOMKilled Job pod as failed with reason OOMKilled and exit code 137', async () => {
    await createPod('oom', { ...onPool(), restartPolicy: 'Never' }, simulateAnnotations('OOMKilled'));
    await eventually(async () => {
      const p = await pod('oom');
      expect(p.status?.phase).toBe('Failed');
      expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    });
  });

  it('shows a simulated ImagePullBackOff as a Pending pod with that waiting reason', async () => {
    await createPod('pull', onPool(), simulateAnnotations('ImagePullBackOff', { message: 'unauthorized' }));
    await eventually(async () => {
      const p = await pod('pull');
      expect(p.status?.phase).toBe('Pending');
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      expect(waiting?.reason).toBe('ImagePullBackOff');
      expect(waiting?.message).toContain('unauthorized');
    });
  });

  it('fails a Job whose pod simulates a failure, keeping the exit message', async () => {
    await ns.clients.batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'bad-data' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { annotations: simulateAnnotations('Failed', { message: 'dataset has no "messages" column', exitCode: 2 }) },
            spec: { ...onPool(), restartPolicy: 'Never', containers: [container(1)] },
          },
        },
      },
    });
    await eventually(
      async () => {
        const job = await ns.clients.batch.readNamespacedJob({ name: 'bad-data', namespace: ns.name });
        expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.status).toBe('True');
      },
      { timeoutMs: 60_000, description: 'Job bad-data Failed' },
    );
    const pods = await ns.clients.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=bad-data' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 2,
      reason: 'Error',
      message: 'dataset has no "messages" column',
    });
  });

  it('garbage-collects the children of a deleted owner', async () => {
    await ns.clients.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'owner' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'owner' } },
          template: { metadata: { labels: { app: 'owner' } }, spec: { ...onPool(), containers: [container()] } },
        },
      },
    });
    const owner = await ns.clients.apps.readNamespacedDeployment({ name: 'owner', namespace: ns.name });
    const configMap = await ns.clients.core.createNamespacedConfigMap({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'owned-config',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'owner', uid: owner.metadata?.uid ?? '', controller: true },
          ],
        },
        data: { k: 'v' },
      },
    });
    expect(configMap.metadata?.name).toBe('owned-config');
    await eventually(async () => {
      const pods = await ns.clients.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=owner' });
      expect(pods.items.filter((p) => condition(p, 'Ready')?.status === 'True')).toHaveLength(2);
    });

    await ns.clients.apps.deleteNamespacedDeployment({ name: 'owner', namespace: ns.name, propagationPolicy: 'Background' });

    await eventually(
      async () => {
        const [rs, pods, cms] = await Promise.all([
          ns.clients.apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=owner' }),
          ns.clients.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=owner' }),
          ns.clients.core.listNamespacedConfigMap({ namespace: ns.name, fieldSelector: 'metadata.name=owned-config' }),
        ]);
        expect(rs.items).toHaveLength(0);
        expect(pods.items).toHaveLength(0);
        expect(cms.items).toHaveLength(0);
      },
      { timeoutMs: 60_000, description: 'ReplicaSet, pods and ConfigMap garbage-collected' },
    );
  });
});
