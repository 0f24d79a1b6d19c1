/**
 * The inference path end to end with the kwok provisioner: the workspace controller and the
 * provisioner run as separate processes against the local control plane, once per node API
 * (NodeClaim, the default, and Machine, the seed's), and the test acts as a user would, with
 * `kubectl apply` and `kubectl get workspace`.
 */
import { ConditionType, Reason } from '@kaito-ts/api';
import { type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { NodeRequestApis } from '@kaito-ts/karpenter';
import type { V1Pod, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { injectKwokFault, startKwokProvisionerProcess } from './harness/kwok-provisioner.js';
import { conditionOf, createNamespace, deleteNamespace, nodeRequestsOf, testKube, type TestKube, Workspaces } from './harness/kube.js';
import { kubectl, workspaceTable } from './harness/kubectl.js';
import type { ManagedProcess } from './harness/process.js';
import { runId } from './harness/repo.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { applyInferenceWorkspace, deleteAndExpectNothingLeft, removeAllWorkspaces, waitForReady, waitForReason } from './harness/workspace.js';

const SEED_SKU = 'Standard_NC6s_v3';
/** The seed's `kubectl get workspace` header (its README). */
const SEED_COLUMNS = ['NAME', 'INSTANCE', 'RESOURCEREADY', 'INFERENCEREADY', 'WORKSPACEREADY', 'AGE'];
/** Must equal SIMULATE_ANNOTATION of tools/cluster (the kwok stage that makes a pod crash-loop). */
const SIMULATE_ANNOTATION = 'kaito-ts.dev/simulate';

describe.each(NodeRequestApis)('inference with the kwok provisioner (%s)', (api) => {
  const run = runId();
  const otherApi = api === 'machine' ? 'nodeclaim' : 'machine';
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  const cloudNs = `e2e-kwok-cloud-${api}-${run}`;
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;

  beforeAll(async () => {
    k = testKube(`e2e-kwok-${api}`);
    kube = k.kube;
    ns = await createNamespace(kube, `e2e-kwok-${api}`);
    [provisioner, controller] = await Promise.all([
      startKwokProvisionerProcess({ api, cloudNamespace: cloudNs, workspaceNamespace: ns, logName: `kwok-${api}-${run}-provisioner` }),
      startWorkspaceControllerProcess({ nodeApi: api, namespaces: [ns], logName: `kwok-${api}-${run}-workspace-controller` }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await removeAllWorkspaces(kube, ns);
    await controller?.stop();
    await provisioner?.stop();
    await deleteNamespace(kube, ns);
    await deleteNamespace(kube, cloudNs);
    await k.close();
  });

  it(`serves phi-3-mini-4k-instruct on ${SEED_SKU}: all three conditions True, the seed's columns, Service port 80 → 5000`, async () => {
    await applyInferenceWorkspace({ name: 'workspace-phi-3', namespace: ns });
    const ws = await waitForReady(kube, 'workspace-phi-3', ns);
    expect(ws.status).toMatchObject({ state: 'Ready', targetNodeCount: 1 });
    expect(ws.status?.workerNodes).toHaveLength(1);
    expect(await nodeRequestsOf(kube, api, ns)).toHaveLength(1);
    expect(await nodeRequestsOf(kube, otherApi, ns)).toEqual([]);

    const table = await workspaceTable('workspace-phi-3', ns);
    expect(table.columns).toEqual(SEED_COLUMNS);
    expect(table.cells.slice(0, 5)).toEqual(['workspace-phi-3', SEED_SKU, 'True', 'True', 'True']);

    const svc = (await kube.get(Resources.Service, 'workspace-phi-3', ns)) as KubeObject & V1Service;
    expect(svc.spec?.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 5000 })]);
    expect(await kube.find(Resources.Service, 'workspace-phi-3-headless', ns)).toBeDefined();
  }, 120_000);

  it('rolls the StatefulSet to a new revision when the inference spec changes, and is Ready again', async () => {
    const before = (await kube.get(Resources.StatefulSet, 'workspace-phi-3', ns)) as KubeObject & V1StatefulSet;
    const podBefore = (await kube.get(Resources.Pod, 'workspace-phi-3-0', ns)) as KubeObject & V1Pod;
    const hashBefore = before.metadata?.annotations?.['workspace.kaito.io/hash'];
    expect(hashBefore).toBeDefined();

    // The runtime annotation changes what the pods are made from (vLLM → transformers).
    await applyInferenceWorkspace({ name: 'workspace-phi-3', namespace: ns, annotations: { 'kaito.sh/runtime': 'transformers' } });
    const rolled = await eventually(
      async () => {
        const sts = (await kube.get(Resources.StatefulSet, 'workspace-phi-3', ns)) as KubeObject & V1StatefulSet;
        const pod = (await kube.find(Resources.Pod, 'workspace-phi-3-0', ns)) as (KubeObject & V1Pod) | undefined;
        const s = sts.status;
        const done =
          sts.metadata?.annotations?.['workspace.kaito.io/hash'] !== hashBefore &&
          s?.observedGeneration === sts.metadata?.generation &&
          s?.updateRevision !== undefined &&
          s.currentRevision === s.updateRevision &&
          s.updatedReplicas === 1 &&
          s.readyReplicas === 1 &&
          pod?.metadata?.labels?.['controller-revision-hash'] === s.updateRevision;
        return done ? { sts, pod } : false;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'the StatefulSet rolled out to the new revision' },
    );
    expect(rolled.sts.status?.updateRevision).not.toBe(before.status?.updateRevision);
    expect(rolled.pod?.metadata?.uid).not.toBe(podBefore.metadata?.uid);
    await waitForReady(kube, 'workspace-phi-3', ns);
  }, 120_000);

  it('keeps InferenceReady False with reason ContainerCrashLoopBackOff while the inference pod crash-loops', async () => {
    // kwok's simulate stage gives a pod created with this annotation a crash-looping status.
    const patch = { spec: { template: { metadata: { annotations: { [SIMULATE_ANNOTATION]: 'CrashLoopBackOff', 'kaito-ts.dev/simulate-message': 'CUDA error: out of memory' } } } } };
    const r = await kubectl(['patch', 'statefulset', 'workspace-phi-3', '-n', ns, '--type=merge', '-p', JSON.stringify(patch)]);
    expect(r.stderr).toBe('');
    const ws = await waitForReason(kube, 'workspace-phi-3', ns, ConditionType.InferenceReady, Reason.ContainerCrashLoopBackOff, { status: 'False' });
    expect(conditionOf(ws, ConditionType.InferenceReady)?.message).toContain('workspace-phi-3-0');
    expect(conditionOf(ws, ConditionType.ResourceReady)?.status).toBe('True');
    expect(conditionOf(ws, ConditionType.WorkspaceReady)).toMatchObject({ status: 'False', message: expect.stringMatching(new RegExp(`^${Reason.ContainerCrashLoopBackOff}: `)) });
    expect(ws.status?.state).toBe('NotReady');
    // It stays so: a crash-looping pod never reads as ready (sampled for a few seconds).
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = await kube.get(Workspaces, 'workspace-phi-3', ns);
      expect(conditionOf(now, ConditionType.InferenceReady)).toMatchObject({ status: 'False', reason: Reason.ContainerCrashLoopBackOff });
    }
    expect((await workspaceTable('workspace-phi-3', ns)).cells.slice(2, 5)).toEqual(['True', 'False', 'False']);
  }, 120_000);

  it('shows a quota fault injected into the provisioner as ResourceReady=False QuotaExceeded, and becomes Ready once the quota is raised', async () => {
    await injectKwokFault(kube, cloudNs, SEED_SKU, 'QuotaExceeded');
    await applyInferenceWorkspace({ name: 'phi-3-quota', namespace: ns });
    const ws = await waitForReason(kube, 'phi-3-quota', ns, ConditionType.ResourceReady, Reason.QuotaExceeded, { status: 'False' });
    expect(conditionOf(ws, ConditionType.ResourceReady)?.message).toContain(`exceeding the approved quota for ${SEED_SKU}`);
    expect(conditionOf(ws, ConditionType.ResourceReady)?.message).toContain('request a quota increase');
    expect(conditionOf(ws, ConditionType.InferenceReady)?.status).toBe('False');
    expect(conditionOf(ws, ConditionType.WorkspaceReady)?.message).toMatch(new RegExp(`^${Reason.QuotaExceeded}: `));
    expect(await kube.find(Resources.StatefulSet, 'phi-3-quota', ns)).toBeUndefined();
    expect((await workspaceTable('phi-3-quota', ns)).cells.slice(1, 5)).toEqual([SEED_SKU, 'False', 'False', 'False']);

    await injectKwokFault(kube, cloudNs, SEED_SKU, undefined);
    const ready = await waitForReady(kube, 'phi-3-quota', ns);
    expect(ready.status?.workerNodes).toHaveLength(1);
  }, 120_000);

  it('makes two node requests and a two-pod StatefulSet for a model the plan puts on two nodes', async () => {
    // mistral-7b-instruct needs ~16.3 GiB; a Standard_NC6s_v3 node offers 13.3 GiB usable.
    await applyInferenceWorkspace({ name: 'mistral-two', namespace: ns, preset: 'mistral-7b-instruct', count: 2 });
    const ws = await waitForReady(kube, 'mistral-two', ns);
    expect(ws.status?.targetNodeCount).toBe(2);
    expect(ws.status?.workerNodes).toHaveLength(2);
    expect((await nodeRequestsOf(kube, api, ns)).filter((r) => r.metadata.labels?.['kaito.sh/workspace'] === 'mistral-two')).toHaveLength(2);
    const sts = (await kube.get(Resources.StatefulSet, 'mistral-two', ns)) as KubeObject & V1StatefulSet;
    expect(sts.spec?.replicas).toBe(2);
    expect(sts.status?.readyReplicas).toBe(2);
  }, 120_000);

  it('deleting the Workspaces leaves no Machine, NodeClaim, Node, pod or Service', async () => {
    await Promise.all(['workspace-phi-3', 'phi-3-quota', 'mistral-two'].map((name) => deleteAndExpectNothingLeft(kube, name, ns)));
    expect(await kube.list(Workspaces, { namespace: ns })).toEqual([]);
  }, 120_000);
});
