/**
 * An inference Workspace from apply to Ready and back to nothing, on the local control plane: the
 * Workspace controller in process, the kwok provisioner as its own process (it is another team's
 * project: this app may not import it, and a separate process is what a cluster runs anyway).
 *
 * Once per node API (NodeClaim, Machine), each with its own namespace, provisioner and controller.
 * The provisioner manages only the node requests of its namespace (`--selector`), so the file
 * shares the cluster with any other test. The last test runs four Workspaces at once (a two-node
 * plan, a template, adapters, bring-your-own nodes) to keep the file's run time small.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConditionType, type Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { KubeClient, type KubeObject, Resources, type ResourceType, RestClient } from '@kaito-ts/controller-runtime';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { eventually } from '@kaito-ts/core/testing';
import { NodeRequestApis, NodeResource, nodeRequestResource } from '@kaito-ts/karpenter';
import { addGpuNode, deleteGpuNodes, kubeClients, useNamespace } from '@kaito-ts/cluster/testing';
import { defaultSettings } from '../../settings.js';
import { type RunningWorkspaceController, startWorkspaceController } from '../../start.js';
import { Workspaces } from './resources.js';

/** A SKU the provisioner has no quota for (phi-3-mini-4k-instruct fits on it). */
const QUOTA_ZERO = 'Standard_NC12s_v3';
const run = Math.random().toString(36).slice(2, 8);
const REPO = join(__dirname, '..', '..', '..', '..', '..');

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env['KUBECONFIG'] ?? '');
  return kc;
}

/** `npx tsx tools/kwok-provisioner/src/main.ts …`; resolves once it logged that it started. */
async function startProvisioner(args: string[]): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn(process.execPath, [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO, 'tools', 'kwok-provisioner', 'src', 'main.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('kwok provisioner started')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kwok-provisioner exited with ${code ?? 'a signal'} before starting:\n${output}`)));
    setTimeout(() => reject(new Error(`kwok-provisioner did not start within 60 s:\n${output}`)), 60_000).unref();
  });
  return { child, exited };
}

describe.each(NodeRequestApis)('an inference Workspace on the local control plane (%s)', (api) => {
  const ns = useNamespace(`wsctl-${api}`);
  const requestResource = nodeRequestResource(api) as unknown as ResourceType;
  const cloudNamespace = `kwok-wsctl-${api}-${run}`;
  let kube: KubeClient;
  let transport: RestClient;
  let controller: RunningWorkspaceController | undefined;
  let provisioner: { child: ChildProcess; exited: Promise<void> } | undefined;

  beforeAll(async () => {
    transport = new RestClient(kubeConfig(), { userAgent: 'workspace-controller-int' });
    kube = new KubeClient(transport, { fieldManager: 'workspace-controller-int' });
    provisioner = await startProvisioner([
      `--api=${api}`,
      `--cloud-namespace=${cloudNamespace}`,
      '--launch-delay=1s',
      `--quota=${QUOTA_ZERO}=0`,
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--log-format=json',
      `--selector=kaito.sh/workspacenamespace=${ns.name}`,
    ]);
    controller = await startWorkspaceController(defaultSettings({ nodeApi: api, leaderElect: false, metricsPort: false, healthPort: false, namespaces: [ns.name] }), {
      kubeConfig: kubeConfig(),
      logger: silentLogger(),
    });
  }, 120_000);

  afterAll(async () => {
    await controller?.stop({ timeoutMs: 5_000 });
    if (provisioner !== undefined) {
      provisioner.child.kill('SIGTERM');
      await provisioner.exited;
    }
    await kube.delete(Resources.Namespace, { name: cloudNamespace });
    await transport.close();
  });

  /** Writes (anything but GET) the controller has sent to the API server, from its own metrics. */
  async function controllerWrites(): Promise<number> {
    const metric = await controller?.manager.metrics.restRequests.get();
    return (metric?.values ?? []).filter((v) => v.labels['method'] !== 'GET').reduce((sum, v) => sum + v.value, 0);
  }

  const ofNamespace = (o: KubeObject) => o.metadata.labels?.['kaito.sh/workspacenamespace'] === ns.name;

  it('serves phi-3-mini-4k-instruct on Standard_NC6s_v3, then leaves nothing behind when deleted', async () => {
    const seed = makeInferenceWorkspace({ metadata: { name: 'workspace-phi-3', namespace: ns.name }, inference: { preset: { name: 'phi-3-mini-4k-instruct' } } });
    const { uid: _uid, generation: _generation, ...metadata } = seed.metadata;
    await kube.create(Workspaces, { ...seed, metadata } as Workspace);

    const ready = await eventually(
      async () => {
        const ws = await kube.get(Workspaces, 'workspace-phi-3', ns.name);
        const status = (type: string) => ws.status?.conditions?.find((c) => c.type === type)?.status;
        return [ConditionType.ResourceReady, ConditionType.InferenceReady, ConditionType.WorkspaceReady].every((t) => status(t) === 'True') && ws;
      },
      { timeoutMs: 90_000, description: 'ResourceReady, InferenceReady and WorkspaceReady True' },
    );
    expect(ready.status?.state).toBe('Ready');
    expect(ready.status?.targetNodeCount).toBe(1);
    expect(ready.status?.workerNodes).toHaveLength(1);

    // Steady state: nothing changes, so the controller writes nothing. The Events of the last
    // transitions are sent asynchronously (fire-and-forget), so start counting once they landed.
    let before = -1;
    await eventually(
      async () => {
        const now = await controllerWrites();
        const settled = now === before;
        before = now;
        await new Promise((r) => setTimeout(r, 1_000));
        return settled;
      },
      { timeoutMs: 30_000, description: 'the Events of the last transitions to be sent' },
    );
    expect(before).toBeGreaterThan(0); // the finalizer, the node request, the workload, status, Events
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await controllerWrites()).toBe(before);

    const claims = (await kube.list(requestResource, {})).filter(ofNamespace);
    expect(claims).toHaveLength(1);
    const service = (await kube.get(Resources.Service, 'workspace-phi-3', ns.name)) as KubeObject & { spec?: { ports?: { port: number; targetPort: unknown }[] } };
    expect(service.spec?.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 5000 })]);
    expect(await kube.find(Resources.Service, 'workspace-phi-3-headless', ns.name)).toBeDefined();

    await kube.delete(Workspaces, { name: 'workspace-phi-3', namespace: ns.name });
    await eventually(async () => (await kube.find(Workspaces, 'workspace-phi-3', ns.name)) === undefined, { timeoutMs: 60_000, description: 'the Workspace to go' });
    await eventually(
      async () => {
        const left = [
          ...(await kube.list(requestResource, {})).filter(ofNamespace).map((o) => `${api} ${o.metadata.name}`),
          ...(await kube.list(NodeResource, {})).filter(ofNamespace).map((o) => `Node ${o.metadata.name}`),
          ...(await kube.list(Resources.StatefulSet, { namespace: ns.name })).map((o) => `StatefulSet ${o.metadata.name}`),
          ...(await kube.list(Resources.Service, { namespace: ns.name })).map((o) => `Service ${o.metadata.name}`),
          ...(await kube.list(Resources.Pod, { namespace: ns.name })).map((o) => `Pod ${o.metadata.name}`),
        ];
        if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
        return true;
      },
      { timeoutMs: 60_000, description: `no ${api}, Node, StatefulSet, Service or Pod left` },
    );
  }, 240_000);

  it('reports the provisioner’s QuotaExceeded on ResourceReady, serves nothing, and still deletes cleanly', async () => {
    const seed = makeInferenceWorkspace({ metadata: { name: 'phi-3-quota', namespace: ns.name }, resource: { instanceType: QUOTA_ZERO }, inference: { preset: { name: 'phi-3-mini-4k-instruct' } } });
    const { uid: _uid, generation: _generation, ...metadata } = seed.metadata;
    await kube.create(Workspaces, { ...seed, metadata } as Workspace);

    const ws = await eventually(
      async () => {
        const w = await kube.get(Workspaces, 'phi-3-quota', ns.name);
        return w.status?.conditions?.find((c) => c.type === ConditionType.ResourceReady)?.reason === 'QuotaExceeded' && w;
      },
      { timeoutMs: 60_000, description: 'ResourceReady reason QuotaExceeded' },
    );
    const condition = (type: string) => ws.status?.conditions?.find((c) => c.type === type);
    expect(condition(ConditionType.ResourceReady)).toMatchObject({ status: 'False' });
    expect(condition(ConditionType.ResourceReady)?.message).toContain(`exceeding the approved quota for ${QUOTA_ZERO}`);
    expect(condition(ConditionType.InferenceReady)?.status).toBe('False');
    expect(condition(ConditionType.WorkspaceReady)?.message).toMatch(/^QuotaExceeded: /);
    expect(await kube.find(Resources.StatefulSet, 'phi-3-quota', ns.name)).toBeUndefined();

    await kube.delete(Workspaces, { name: 'phi-3-quota', namespace: ns.name });
    await eventually(async () => (await kube.find(Workspaces, 'phi-3-quota', ns.name)) === undefined, { timeoutMs: 60_000, description: 'the Workspace to go' });
    expect((await kube.list(requestResource, {})).filter(ofNamespace)).toEqual([]);
  }, 120_000);

  it('serves a two-node plan, a template and bring-your-own nodes, and renders adapters, at once', async () => {
    const byoLabel = { 'kaito-ts.dev/byo': `${api}-${run}` };
    const byoNode = `byo-${api}-${run}`;
    await addGpuNode(kubeClients().core, { sku: 'Standard_NC6s_v3', name: byoNode, labels: byoLabel });
    try {
      const create = async (ws: Workspace): Promise<void> => {
        const { uid: _uid, generation: _generation, ...metadata } = ws.metadata;
        await kube.create(Workspaces, { ...ws, metadata: { ...metadata, namespace: ns.name } } as Workspace);
      };
      const base = makeInferenceWorkspace();
      await Promise.all([
        create(makeInferenceWorkspace({ metadata: { name: 'falcon-2' }, resource: { count: 2, instanceType: 'Standard_NC24ads_A100_v4' }, inference: { preset: { name: 'falcon-40b-instruct' } } })),
        create({ ...base, metadata: { ...base.metadata, name: 'custom' }, inference: { template: { spec: { containers: [{ name: 'server', image: 'example.com/llm:1', ports: [{ name: 'http', containerPort: 8000 }] }] } } } }),
        create(makeInferenceWorkspace({ metadata: { name: 'adapters' }, inference: { preset: { name: 'phi-3-mini-4k-instruct' }, adapters: [{ source: { name: 'sql', image: 'example.com/adapters/sql:1', imagePullSecrets: ['pull'] } }] } })),
        create({ ...base, metadata: { ...base.metadata, name: 'byo' }, resource: { labelSelector: { matchLabels: byoLabel } }, inference: { preset: { name: 'phi-3-mini-4k-instruct' } } }),
      ]);
      type Sts = KubeObject & { spec?: { replicas?: number; template?: { spec?: { containers?: { name: string }[]; initContainers?: { name: string; env?: { name: string; value?: string }[] }[] } } } };
      const ready = (name: string) =>
        eventually(
          async () => {
            const ws = await kube.get(Workspaces, name, ns.name);
            return ws.status?.conditions?.find((c) => c.type === ConditionType.WorkspaceReady)?.status === 'True' && ws;
          },
          { timeoutMs: 90_000, description: `${name} WorkspaceReady True` },
        );
      const [falcon, custom, , byo] = await Promise.all([
        ready('falcon-2'),
        ready('custom'),
        eventually(async () => ((await kube.find(Resources.StatefulSet, 'adapters', ns.name)) as Sts | undefined) ?? false, { timeoutMs: 90_000, description: 'the adapters StatefulSet' }),
        ready('byo'),
      ]);

      const requestsOf = async (name: string) => (await kube.list(requestResource, {})).filter((o) => ofNamespace(o) && o.metadata.labels?.['kaito.sh/workspace'] === name);
      expect(falcon.status?.targetNodeCount).toBe(2);
      expect(falcon.status?.workerNodes).toHaveLength(2);
      expect(await requestsOf('falcon-2')).toHaveLength(2);
      expect(((await kube.get(Resources.StatefulSet, 'falcon-2', ns.name)) as Sts).spec?.replicas).toBe(2);
      expect((await kube.list(Resources.Pod, { namespace: ns.name, labelSelector: 'kaito.sh/workspace=falcon-2' })).map((p) => p.metadata.name).sort()).toEqual(['falcon-2-0', 'falcon-2-1']);

      // A changed inference spec rolls both pods; the status says so while it does (an Event per transition).
      const before = ((await kube.get(Resources.StatefulSet, 'falcon-2', ns.name)) as Sts).metadata.annotations?.['workspace.kaito.io/hash'];
      await kube.mergePatch(Workspaces, { name: 'falcon-2', namespace: ns.name }, { inference: { preset: { presetOptions: { modelAccessSecret: 'hf-token' } } } });
      await eventually(
        async () => (await kube.list(Resources.Event, { namespace: ns.name })).some((e) => (e as KubeObject & { reason?: string; involvedObject?: { name?: string } }).reason === 'InferenceUpdating' && (e as KubeObject & { involvedObject?: { name?: string } }).involvedObject?.name === 'falcon-2'),
        { timeoutMs: 30_000, description: 'an InferenceUpdating Event for falcon-2' },
      );
      await eventually(
        async () => {
          const sts = (await kube.get(Resources.StatefulSet, 'falcon-2', ns.name)) as Sts & { status?: { currentRevision?: string; updateRevision?: string; updatedReplicas?: number } };
          const ws = await kube.get(Workspaces, 'falcon-2', ns.name);
          const rolled = sts.metadata.annotations?.['workspace.kaito.io/hash'] !== before && sts.status?.updatedReplicas === 2 && sts.status.currentRevision === sts.status.updateRevision;
          return rolled && ws.status?.conditions?.find((c) => c.type === ConditionType.InferenceReady)?.status === 'True';
        },
        { timeoutMs: 60_000, description: 'falcon-2 rolled to the new revision on both pods and InferenceReady again' },
      );

      expect(custom.status?.targetNodeCount).toBe(1);
      expect(((await kube.get(Resources.StatefulSet, 'custom', ns.name)) as Sts).spec?.template?.spec?.containers?.map((c) => c.name)).toEqual(['server']);
      const customService = (await kube.get(Resources.Service, 'custom', ns.name)) as KubeObject & { spec?: { ports?: { port: number; targetPort: unknown }[] } };
      expect(customService.spec?.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 8000 })]);

      const adapters = (await kube.get(Resources.StatefulSet, 'adapters', ns.name)) as Sts;
      expect(adapters.spec?.template?.spec?.initContainers?.map((c) => c.name)).toEqual(['puller-sql']);
      expect(adapters.spec?.template?.spec?.initContainers?.[0]?.env).toContainEqual({ name: 'ADAPTER_IMAGE', value: 'example.com/adapters/sql:1' });

      expect(byo.status?.workerNodes).toEqual([byoNode]);
      expect(byo.status?.conditions?.find((c) => c.type === ConditionType.ResourceReady)?.message).toBe(`1/1 nodes ready, matching kaito-ts.dev/byo=${api}-${run}: ${byoNode}`);
      expect(await requestsOf('byo')).toEqual([]);

      for (const name of ['falcon-2', 'custom', 'adapters', 'byo']) await kube.delete(Workspaces, { name, namespace: ns.name });
      await eventually(async () => (await kube.list(Workspaces, { namespace: ns.name })).length === 0, { timeoutMs: 60_000, description: 'the Workspaces to go' });
      expect((await kube.list(requestResource, {})).filter(ofNamespace)).toEqual([]);
    } finally {
      await deleteGpuNodes(kubeClients().core, [byoNode]);
    }
  }, 180_000);
});
