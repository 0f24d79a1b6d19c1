/**
 * An inference Workspace from apply to Ready and back to nothing, on the local control plane: the
 * Workspace controller in process, the kwok provisioner as its own process (it is another team's
 * project: this app may not import it, and a separate process is what a cluster runs anyway).
 *
 * The provisioner manages only the node requests of this file's namespace (`--selector`), so the
 * file shares the cluster with any other test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConditionType, type Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { KubeClient, type KubeObject, Resources, RestClient } from '@kaito-ts/controller-runtime';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { eventually } from '@kaito-ts/core/testing';
import { NodeClaimResource, NodeResource } from '@kaito-ts/karpenter';
import { useNamespace } from '@kaito-ts/cluster/testing';
import { defaultSettings } from '../../settings.js';
import { type RunningWorkspaceController, startWorkspaceController } from '../../start.js';
import { Workspaces } from './resources.js';

const ns = useNamespace('wsctl');
const run = Math.random().toString(36).slice(2, 8);
const REPO = join(__dirname, '..', '..', '..', '..', '..');

let kube: KubeClient;
let transport: RestClient;
let controller: RunningWorkspaceController | undefined;
let provisioner: { child: ChildProcess; exited: Promise<void> } | undefined;

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

beforeAll(async () => {
  transport = new RestClient(kubeConfig(), { userAgent: 'workspace-controller-int' });
  kube = new KubeClient(transport, { fieldManager: 'workspace-controller-int' });
  provisioner = await startProvisioner([
    '--api=nodeclaim',
    `--cloud-namespace=kwok-wsctl-${run}`,
    '--launch-delay=1s',
    '--leader-elect=false',
    '--metrics-port=off',
    '--health-port=off',
    '--log-format=json',
    `--selector=kaito.sh/workspacenamespace=${ns.name}`,
  ]);
  controller = await startWorkspaceController(defaultSettings({ leaderElect: false, metricsPort: false, healthPort: false, namespaces: [ns.name] }), {
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
  await kube.delete(Resources.Namespace, { name: `kwok-wsctl-${run}` });
  await transport.close();
});

/** Writes (anything but GET) the controller has sent to the API server, from its own metrics. */
async function controllerWrites(): Promise<number> {
  const metric = await controller?.manager.metrics.restRequests.get();
  return (metric?.values ?? []).filter((v) => v.labels['method'] !== 'GET').reduce((sum, v) => sum + v.value, 0);
}

const ofNamespace = (o: KubeObject) => o.metadata.labels?.['kaito.sh/workspacenamespace'] === ns.name;

describe('an inference Workspace on the local control plane', () => {
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

    // Steady state: nothing changes, so the controller writes nothing (a resync would still reconcile).
    const before = await controllerWrites();
    expect(before).toBeGreaterThan(0); // the finalizer, the NodeClaim, the workload, status
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await controllerWrites()).toBe(before);

    const claims = (await kube.list(NodeClaimResource, {})).filter(ofNamespace);
    expect(claims).toHaveLength(1);
    const service = (await kube.get(Resources.Service, 'workspace-phi-3', ns.name)) as KubeObject & { spec?: { ports?: { port: number; targetPort: unknown }[] } };
    expect(service.spec?.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 5000 })]);
    expect(await kube.find(Resources.Service, 'workspace-phi-3-headless', ns.name)).toBeDefined();

    await kube.delete(Workspaces, { name: 'workspace-phi-3', namespace: ns.name });
    await eventually(async () => (await kube.find(Workspaces, 'workspace-phi-3', ns.name)) === undefined, { timeoutMs: 60_000, description: 'the Workspace to go' });
    await eventually(
      async () => {
        const left = [
          ...(await kube.list(NodeClaimResource, {})).filter(ofNamespace).map((o) => `NodeClaim ${o.metadata.name}`),
          ...(await kube.list(NodeResource, {})).filter(ofNamespace).map((o) => `Node ${o.metadata.name}`),
          ...(await kube.list(Resources.StatefulSet, { namespace: ns.name })).map((o) => `StatefulSet ${o.metadata.name}`),
          ...(await kube.list(Resources.Service, { namespace: ns.name })).map((o) => `Service ${o.metadata.name}`),
        ];
        if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
        return true;
      },
      { timeoutMs: 60_000, description: 'no NodeClaim, Node, StatefulSet or Service left' },
    );
  }, 240_000);
});
