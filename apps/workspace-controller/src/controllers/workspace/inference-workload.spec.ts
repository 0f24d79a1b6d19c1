import { Annotations, type Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace, type DeepPartial } from '@kaito-ts/api/testing';
import { getModel, plan, type RuntimeName } from '@kaito-ts/presets';
import { desiredInferenceWorkload, InvalidWorkloadSpecError, leaderAddress, workspaceRuntime, type InferenceWorkload } from './inference-workload.js';
import { inferenceRevision, REVISION_HASH_ANNOTATION } from './revision.js';

const PHI = 'phi-3-mini-128k-instruct';
const SKU = 'Standard_NC6s_v3';

/** The workload of a Workspace (override any field) planned as the controller will plan it. */
function workloadOf(overrides: DeepPartial<Workspace> = {}, maxNodes = 1): InferenceWorkload & { workspace: Workspace } {
  const workspace = makeInferenceWorkspace(overrides);
  const model = getModel(workspace.inference?.preset?.name ?? PHI);
  const p = plan(model, workspace.resource.instanceType ?? SKU, workspaceRuntime(workspace), { maxNodes });
  return { workspace, ...desiredInferenceWorkload({ workspace, plan: p, model }) };
}

const multiNode = () => workloadOf({ resource: { instanceType: 'Standard_NC24ads_A100_v4' }, inference: { preset: { name: 'falcon-40b-instruct' } } }, 4);

describe('desiredInferenceWorkload: the StatefulSet', () => {
  const { statefulSet, workspace } = workloadOf();
  const pod = statefulSet.spec?.template.spec;
  const container = pod?.containers[0];

  it('is named after the Workspace, in its namespace, owned by it as controller', () => {
    expect(statefulSet.metadata).toMatchObject({
      name: 'workspace-phi-3',
      namespace: 'default',
      ownerReferences: [{ apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', name: 'workspace-phi-3', uid: 'uid-workspace-phi-3', controller: true, blockOwnerDeletion: true }],
    });
  });

  it('carries the inference revision of the Workspace', () => {
    expect(statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION]).toBe(inferenceRevision(workspace));
  });

  it('runs one replica per planned node, all at once, behind the headless Service', () => {
    expect(statefulSet.spec).toMatchObject({ replicas: 1, podManagementPolicy: 'Parallel', serviceName: 'workspace-phi-3-headless', selector: { matchLabels: { 'kaito.sh/workspace': 'workspace-phi-3' } } });
    expect(statefulSet.spec?.template.metadata?.labels).toEqual({ 'kaito.sh/workspace': 'workspace-phi-3' });
  });

  it('puts at most one pod on a node', () => {
    expect(pod?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'kaito.sh/workspace': 'workspace-phi-3' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
  });

  it('requires the nodes the Workspace’s node requests label, with its matchLabels', () => {
    expect(pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'apps', operator: 'In', values: ['phi-3'] },
          { key: 'kaito.sh/workspace', operator: 'In', values: ['workspace-phi-3'] },
          { key: 'kaito.sh/workspacenamespace', operator: 'In', values: ['default'] },
        ],
      },
    ]);
  });

  it('tolerates the GPU taints', () => {
    expect(pod?.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    );
  });

  it('requests the planned GPUs and gives /dev/shm a memory-backed emptyDir', () => {
    expect(container?.resources?.requests?.['nvidia.com/gpu']).toBe('1');
    expect(container?.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    expect(pod?.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory' } });
  });

  it('probes /health on port 5000 with the render’s startup budget', () => {
    expect(container?.startupProbe?.httpGet).toEqual({ path: '/health', port: 5000 });
    expect(container?.startupProbe?.failureThreshold).toBeGreaterThanOrEqual(180);
    expect(container?.readinessProbe?.httpGet?.port).toBe(5000);
  });
});

describe('desiredInferenceWorkload: pod annotations from the controller', () => {
  const workspace = makeInferenceWorkspace();
  const model = getModel(PHI);
  const p = plan(model, SKU, 'vllm');

  it('puts the configured annotations on the pods, and none without them', () => {
    const annotated = desiredInferenceWorkload({ workspace, plan: p, model, podAnnotations: { 'kaito-ts.dev/run-as-process': 'kubelet-a' } });
    expect(annotated.statefulSet.spec?.template.metadata).toEqual({ labels: { 'kaito.sh/workspace': 'workspace-phi-3' }, annotations: { 'kaito-ts.dev/run-as-process': 'kubelet-a' } });
    expect(desiredInferenceWorkload({ workspace, plan: p, model, podAnnotations: {} }).statefulSet.spec?.template.metadata?.annotations).toBeUndefined();
    expect(desiredInferenceWorkload({ workspace, plan: p, model }).statefulSet.spec?.template.metadata?.annotations).toBeUndefined();
  });
});

describe('desiredInferenceWorkload: options from the Workspace', () => {
  it('reads the HF token from the modelAccessSecret Secret', () => {
    const { statefulSet } = workloadOf({ inference: { preset: { name: PHI, presetOptions: { modelAccessSecret: 'hf-token' } } } });
    expect(statefulSet.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: 'HF_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hf-token', key: 'HF_TOKEN', optional: true } },
    });
  });

  it('passes no HF token without a modelAccessSecret', () => {
    const { statefulSet } = workloadOf();
    expect(statefulSet.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).not.toContain('HF_TOKEN');
  });

  it('uses the preset’s image pull secrets', () => {
    const { statefulSet } = workloadOf({ inference: { preset: { name: PHI, presetOptions: { imagePullSecrets: ['mirror'] } } } });
    expect(statefulSet.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'mirror' }]);
  });

  it('strips reserved keys from matchLabels in the node affinity', () => {
    const { statefulSet } = workloadOf({ resource: { labelSelector: { matchLabels: { 'kaito.sh/workspace': 'other', apps: 'phi-3' } } } });
    const terms = statefulSet.spec?.template.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions;
    expect(terms?.filter((t) => t.key === 'kaito.sh/workspace')).toEqual([{ key: 'kaito.sh/workspace', operator: 'In', values: ['workspace-phi-3'] }]);
  });

  it.each<[string, Record<string, string>, RuntimeName, string]>([
    ['vLLM without the annotation', {}, 'vllm', '--served-model-name=phi-3-mini-128k-instruct'],
    ['vLLM when asked', { [Annotations.runtime]: 'vllm' }, 'vllm', '--served-model-name=phi-3-mini-128k-instruct'],
    ['Transformers when asked', { [Annotations.runtime]: 'transformers' }, 'transformers', '--torch_dtype=float16'],
  ])('runs %s', (_name, annotations, runtime, arg) => {
    const workspace = makeInferenceWorkspace({ metadata: { annotations } });
    expect(workspaceRuntime(workspace)).toBe(runtime);
    const { statefulSet } = workloadOf({ metadata: { annotations } });
    expect(statefulSet.spec?.template.spec?.containers[0]?.args).toContain(arg);
  });

  it('rejects an unknown runtime, naming the annotation and the accepted values', () => {
    const workspace = makeInferenceWorkspace({ metadata: { annotations: { [Annotations.runtime]: 'tgi' } } });
    expect(() => workspaceRuntime(workspace)).toThrow(InvalidWorkloadSpecError);
    expect(() => workspaceRuntime(workspace)).toThrow('metadata.annotations["kaito.sh/runtime"]: expected one of "vllm", "transformers", got "tgi"');
  });

  it('rejects a plan for another runtime than the Workspace asks for', () => {
    const workspace = makeInferenceWorkspace({ metadata: { annotations: { [Annotations.runtime]: 'transformers' } } });
    const model = getModel(PHI);
    expect(() => desiredInferenceWorkload({ workspace, model, plan: plan(model, SKU, 'vllm') })).toThrow(/plan is for runtime vllm but the Workspace asks for transformers/);
  });

  it.each<[string, (w: Workspace) => Workspace, RegExp]>([
    ['a Workspace without a uid', (w) => ({ ...w, metadata: { name: w.metadata.name, namespace: 'default' } }), /metadata.uid are required/],
    ['a template Workspace', (w) => ({ ...w, inference: { template: {} } }), /inference.preset is required/],
    ['a strength on vLLM, which cannot weight adapters', (w) => ({ ...w, inference: { ...w.inference, adapters: [{ source: { name: 'a', image: 'r/a:1' }, strength: '0.5' }] } }), /vLLM does not weight adapters/],
  ])('rejects %s', (_name, change, message) => {
    const model = getModel(PHI);
    expect(() => desiredInferenceWorkload({ workspace: change(makeInferenceWorkspace()), model, plan: plan(model, SKU) })).toThrow(message);
  });
});

describe('desiredInferenceWorkload: the Services', () => {
  it.each([
    ['ClusterIP without the annotation', {}, 'ClusterIP'],
    ['LoadBalancer with kaito.sh/enablelb: "True"', { [Annotations.enableLoadBalancer]: 'True' }, 'LoadBalancer'],
    ['ClusterIP with any other value', { [Annotations.enableLoadBalancer]: 'true' }, 'ClusterIP'],
  ])('is %s', (_name, annotations, type) => {
    expect(workloadOf({ metadata: { annotations } }).service.spec?.type).toBe(type);
  });

  it('forwards port 80 to the container’s port 5000 on pod 0, owned by the Workspace', () => {
    const { service } = workloadOf();
    expect(service.metadata).toMatchObject({ name: 'workspace-phi-3', namespace: 'default', ownerReferences: [{ kind: 'Workspace', controller: true }] });
    expect(service.spec?.ports).toEqual([{ name: 'http', port: 80, targetPort: 5000, protocol: 'TCP' }]);
    expect(service.spec?.selector).toEqual({ 'kaito.sh/workspace': 'workspace-phi-3', 'statefulset.kubernetes.io/pod-name': 'workspace-phi-3-0' });
  });

  it('gives the pods stable DNS names through a headless Service', () => {
    const { headlessService } = workloadOf();
    expect(headlessService.metadata?.name).toBe('workspace-phi-3-headless');
    expect(headlessService.spec).toEqual({ clusterIP: 'None', selector: { 'kaito.sh/workspace': 'workspace-phi-3' }, publishNotReadyAddresses: true });
  });
});

describe('desiredInferenceWorkload: several nodes', () => {
  const { statefulSet } = multiNode();
  const container = statefulSet.spec?.template.spec?.containers[0];

  it('runs one replica on each planned node', () => {
    expect(statefulSet.spec?.replicas).toBe(2);
  });

  it('has pod 0 lead the Ray cluster the others join through the headless Service', () => {
    const script = container?.args?.[0] ?? '';
    expect(container?.command).toEqual(['/bin/sh', '-c']);
    expect(script).toContain('multi-node-serving.sh leader --ray_cluster_size=2');
    expect(script).toContain(`--ray_address=${leaderAddress({ name: 'workspace-phi-3', namespace: 'default' })}`);
    expect(leaderAddress({ name: 'workspace-phi-3', namespace: 'default' })).toBe('workspace-phi-3-0.workspace-phi-3-headless.default.svc.cluster.local');
  });

  it('gives each pod its ordinal', () => {
    expect(container?.env).toContainEqual({ name: 'POD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } });
  });
});

describe('desiredInferenceWorkload: adapters', () => {
  const adapters = [
    { source: { name: 'sql-lora', image: 'myregistry.azurecr.io/adapters/sql:1', imagePullSecrets: ['acr-pull'] } },
    { source: { name: 'chat.v2', volumeSource: { persistentVolumeClaim: { claimName: 'adapters' } } } },
  ];
  const { statefulSet } = workloadOf({ inference: { adapters } });
  const pod = statefulSet.spec?.template.spec;
  const container = pod?.containers[0];

  it('pulls an image adapter with an init container into /mnt/adapter/<name>, with its pull Secret', () => {
    expect(pod?.initContainers).toHaveLength(1);
    const puller = pod?.initContainers?.[0];
    expect(puller).toMatchObject({ name: 'puller-sql-lora', image: 'mcr.microsoft.com/aks/skopeo:1.14.4-6' });
    expect(puller?.env).toEqual([
      { name: 'ADAPTER_NAME', value: 'sql-lora' },
      { name: 'ADAPTER_IMAGE', value: 'myregistry.azurecr.io/adapters/sql:1' },
      { name: 'ADAPTER_DIR', value: '/mnt/adapter' },
    ]);
    expect(puller?.command?.[2]).toContain('skopeo copy --retry-times 3 --authfile "$auth" "docker://$ADAPTER_IMAGE"');
    expect(puller?.volumeMounts).toEqual([
      { name: 'adapter-volume', mountPath: '/mnt/adapter' },
      { name: expect.any(String), mountPath: '/etc/kaito/pull-secrets/acr-pull', readOnly: true },
    ]);
    const secretVolume = pod?.volumes?.find((v) => v.name === puller?.volumeMounts?.[1]?.name);
    expect(secretVolume?.secret).toEqual({ secretName: 'acr-pull', items: [{ key: '.dockerconfigjson', path: '.dockerconfigjson' }] });
  });

  it('mounts a volume adapter read-only at /mnt/adapter/<name>', () => {
    const mount = container?.volumeMounts?.find((m) => m.mountPath === '/mnt/adapter/chat.v2');
    expect(mount).toMatchObject({ readOnly: true });
    expect(pod?.volumes?.find((v) => v.name === mount?.name)).toEqual({ name: 'adapter-chat-v2', persistentVolumeClaim: { claimName: 'adapters' } });
  });

  it('shares /mnt/adapter between the pullers and the server, and tells vLLM to serve LoRA', () => {
    expect(container?.volumeMounts).toContainEqual({ name: 'adapter-volume', mountPath: '/mnt/adapter' });
    expect(pod?.volumes).toContainEqual({ name: 'adapter-volume', emptyDir: {} });
    expect(container?.args).toContain('--enable-lora');
  });

  it('passes each strength to the transformers runtime as an env var named after the adapter', () => {
    const t = workloadOf({ metadata: { annotations: { [Annotations.runtime]: 'transformers' } }, inference: { adapters: [{ source: { name: 'a', image: 'r/a:1' }, strength: '0.25' }] } });
    expect(t.statefulSet.spec?.template.spec?.containers[0]?.env).toContainEqual({ name: 'a', value: '0.25' });
  });

  it('changes the revision when an adapter is added', () => {
    expect(statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION]).not.toBe(workloadOf().statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION]);
  });
});

describe('desiredInferenceWorkload: bring-your-own nodes', () => {
  const workspace = makeInferenceWorkspace({ resource: { labelSelector: { matchLabels: { apps: 'phi-3' }, matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] } } });
  const model = getModel(PHI);
  const byo = { hardwareLabel: { key: 'node.kubernetes.io/instance-type', value: SKU } };
  const { statefulSet } = desiredInferenceWorkload({ workspace, model, plan: plan(model, SKU), byo });

  it('pins the pods by the selector and the planned hardware, not by node-request labels', () => {
    expect(statefulSet.spec?.template.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'apps', operator: 'In', values: ['phi-3'] },
          { key: 'pool', operator: 'In', values: ['gpu'] },
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [SKU] },
        ],
      },
    ]);
  });

  it('has its own revision, so moving between node sources rolls the pods', () => {
    expect(statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION]).toBe(inferenceRevision(workspace, 'byo:node.kubernetes.io/instance-type=Standard_NC6s_v3'));
    expect(statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION]).not.toBe(inferenceRevision(workspace));
  });
});
