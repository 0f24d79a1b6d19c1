/**
 * The process around the Azure provider, as `startGpuProvisioner` wires it from its settings:
 * `/metrics`, `/healthz`, `/readyz` and leader election on a Lease. Two replicas against one ARM +
 * Entra simulator on the local control plane: only the leader launches; when it stops, the other
 * takes the Lease and carries on.
 */
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeNodeSink } from '@kaito-ts/arm-simulator';
import { startTestArmSimulator, TEST_CLUSTER, TEST_LOCATION, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, type TestArmSimulator } from '@kaito-ts/arm-simulator/testing';
import { createLogger, KubeClient, RestClient } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { isReady, nodeRequestClient, type NodeRequestClient } from '@kaito-ts/karpenter';
import { gpuNodeRequest } from '@kaito-ts/karpenter/testing';
import { parseConfig } from './config.js';
import { type RunningGpuProvisioner, startGpuProvisioner } from './provisioner.js';

const run = Math.random().toString(36).slice(2, 8);
const RUN_LABEL = 'serving.kaito-ts.dev/run';
const leaseNamespace = `gpu-serving-${run}`;

let sim: TestArmSimulator;
let transport: RestClient;
let claims: NodeRequestClient;
const replicas: RunningGpuProvisioner[] = [];
let seq = 0;

const kubeConfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env['KUBECONFIG'] ?? '');
  return kc;
};

async function replica(): Promise<RunningGpuProvisioner> {
  const parsed = parseConfig(
    [
      `--subscription=${TEST_SUBSCRIPTION}`,
      `--resource-group=${TEST_RESOURCE_GROUP}`,
      `--cluster-name=${TEST_CLUSTER}`,
      `--location=${TEST_LOCATION}`,
      `--arm-endpoint=${sim.url}`,
      `--kubeconfig=${process.env['KUBECONFIG'] ?? ''}`,
      `--selector=${RUN_LABEL}=${run}`,
      `--lease-namespace=${leaseNamespace}`,
      '--metrics-port=0',
      '--health-port=0',
      '--termination-poll=1s',
      '--transient-retry=500ms',
    ],
    {},
  );
  if (parsed.help) throw new Error('unexpected help');
  expect(parsed.config.leaderElect).toBe(true);
  const p = await startGpuProvisioner(parsed.config, { env: sim.env, agent: sim.agent, logger: createLogger({ level: 'error', format: 'json' }) });
  replicas.push(p);
  return p;
}

const launchClaim = async (): Promise<string> => {
  const name = `gpu-serving-${run}-${++seq}`;
  await claims.create(gpuNodeRequest({ api: 'nodeclaim', name, instanceType: 'Standard_NC24ads_A100_v4', storage: '128Gi', labels: { [RUN_LABEL]: run } }));
  await eventually(async () => {
    const r = await claims.get(name);
    return r !== undefined && isReady(r);
  }, { timeoutMs: 60_000, description: `${name} Ready` });
  return name;
};

const holder = async (): Promise<string | undefined> =>
  (await kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'gpu-provisioner-nodeclaim', namespace: leaseNamespace })).spec?.holderIdentity;

beforeAll(async () => {
  sim = await startTestArmSimulator({ nodes: new KubeNodeSink(kubeConfig().makeApiClient(CoreV1Api)), createDelayMs: 500, deleteDelayMs: 200, tickMs: 50 });
  await kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: leaseNamespace } } });
  transport = new RestClient(kubeConfig(), { userAgent: 'gpu-serving' });
  claims = nodeRequestClient(new KubeClient(transport, { fieldManager: 'gpu-serving' }), 'nodeclaim');
});

afterAll(async () => {
  for (const r of await claims.list({ labelSelector: `${RUN_LABEL}=${run}` })) await claims.delete(r.metadata.name);
  await eventually(async () => (await claims.list({ labelSelector: `${RUN_LABEL}=${run}` })).length === 0, { timeoutMs: 60_000, description: 'claims gone' }).catch(() => undefined);
  for (const p of replicas) await p.stop({ timeoutMs: 5_000 });
  await kubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: leaseNamespace });
  await transport.close();
  await sim.stop();
}, 120_000);

it('serves /healthz, /readyz and /metrics, and only the Lease holder launches; a standby takes over when it stops', async () => {
  const first = await replica();
  await eventually(() => first.manager.isLeader, { timeoutMs: 30_000, description: 'the first replica leads' });
  const second = await replica();
  expect(await holder()).toBe(first.manager.identity);

  for (const p of [first, second]) {
    expect((await fetch(`${p.manager.healthUrl ?? ''}/healthz`)).status).toBe(200);
    await eventually(async () => (await fetch(`${p.manager.healthUrl ?? ''}/readyz`)).status === 200, { timeoutMs: 30_000, description: 'readyz 200 (caches synced)' });
  }
  await launchClaim();
  expect(second.manager.isLeader).toBe(false);
  const metrics = await (await fetch(`${first.manager.metricsUrl ?? ''}/metrics`)).text();
  expect(metrics).toMatch(/controller_runtime_reconcile_total\{controller="nodeclaim\.lifecycle",result="[a-z_]+"\} [1-9]/);
  // The standby reconciled nothing.
  expect(await (await fetch(`${second.manager.metricsUrl ?? ''}/metrics`)).text()).not.toMatch(/controller_runtime_reconcile_total\{controller="nodeclaim\.lifecycle",result="[a-z_]+"\} [1-9]/);

  await first.stop({ timeoutMs: 10_000 });
  await eventually(() => second.manager.isLeader, { timeoutMs: 30_000, description: 'the standby takes the Lease' });
  expect(await holder()).toBe(second.manager.identity);
  await launchClaim();
}, 180_000);
