/**
 * gpu-provisioner on the local control plane against the ARM + Entra simulator, with faults the
 * conformance suite does not cover: a federated token the simulator refuses (the claim says why;
 * the provisioner keeps running and recovers once the token file is right), and a quota fault
 * that persists (ARM requests per minute stay low: the capacity retry schedule, no hot loop), a
 * 429's Retry-After, and an ARM InvalidParameter (terminal: no retry until the claim changes).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeNodeSink } from '@kaito-ts/arm-simulator';
import { startTestArmSimulator, TEST_CLUSTER, TEST_LOCATION, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, type TestArmSimulator } from '@kaito-ts/arm-simulator/testing';
import { createLogger, KubeClient, RestClient } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { ConditionTypes, findCondition, LAUNCH_RETRY_ANNOTATION, type NodeRequest, nodeRequestClient, type NodeRequestClient } from '@kaito-ts/karpenter';
import { gpuNodeRequest } from '@kaito-ts/karpenter/testing';
import { poolNameFor } from './azure/naming.js';
import { parseConfig } from './config.js';
import { type RunningGpuProvisioner, startGpuProvisioner } from './provisioner.js';

const run = Math.random().toString(36).slice(2, 8);
const A100 = 'Standard_NC24ads_A100_v4';
const QUOTA_ZERO = 'Standard_NC48ads_A100_v4';
const selector = { 'faults.kaito-ts.dev/run': run };

let sim: TestArmSimulator;
let provisioner: RunningGpuProvisioner;
let transport: RestClient;
let requests: NodeRequestClient;
let tokenFile: string;
let seq = 0;

const kubeConfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env['KUBECONFIG'] ?? '');
  return kc;
};

beforeAll(async () => {
  sim = await startTestArmSimulator({ nodes: new KubeNodeSink(kubeConfig().makeApiClient(CoreV1Api)), createDelayMs: 1_000, deleteDelayMs: 500, tickMs: 100 });
  // The provisioner starts before its federated credential is right (the reference crash-loops here).
  tokenFile = `${sim.tokenFile}.provisioner`;
  await writeFile(tokenFile, 'a-token-entra-does-not-trust');
  const parsed = parseConfig(
    [
      '--api=nodeclaim',
      `--subscription=${TEST_SUBSCRIPTION}`,
      `--resource-group=${TEST_RESOURCE_GROUP}`,
      `--cluster-name=${TEST_CLUSTER}`,
      `--location=${TEST_LOCATION}`,
      `--arm-endpoint=${sim.url}`,
      `--kubeconfig=${process.env['KUBECONFIG'] ?? ''}`,
      `--selector=${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`,
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--termination-poll=1s',
      '--capacity-retry=10s',
      '--arm-timeout=10s',
    ],
    {},
  );
  if (parsed.help) throw new Error('unexpected help');
  provisioner = await startGpuProvisioner(parsed.config, {
    env: { ...sim.env, AZURE_FEDERATED_TOKEN_FILE: tokenFile },
    agent: sim.agent,
    logger: createLogger({ level: process.env['GPU_FAULTS_LOG_LEVEL'] ?? 'error', format: 'json' }),
  });
  transport = new RestClient(kubeConfig(), { userAgent: 'gpu-faults' });
  requests = nodeRequestClient(new KubeClient(transport, { fieldManager: 'gpu-faults' }), 'nodeclaim');
});

afterAll(async () => {
  for (const r of await requests.list({ labelSelector: `faults.kaito-ts.dev/run=${run}` })) await requests.delete(r.metadata.name);
  await eventually(async () => (await requests.list({ labelSelector: `faults.kaito-ts.dev/run=${run}` })).length === 0, { timeoutMs: 60_000, description: 'test claims gone' });
  await provisioner.stop({ timeoutMs: 10_000 });
  await transport.close();
  await sim.stop();
});

const newClaim = (instanceType: string): NodeRequest =>
  gpuNodeRequest({ api: 'nodeclaim', name: `gpu-faults-${run}-${++seq}`, instanceType, storage: '128Gi', labels: selector });

const launched = async (name: string) => findCondition((await requests.get(name))?.status.conditions ?? [], ConditionTypes.launched);

it('a refused federated token shows on the claim, and the claim launches once the token file is fixed, without a restart', async () => {
  const r = await requests.create(newClaim(A100));
  const failing = await eventually(
    async () => {
      const c = await launched(r.metadata.name);
      return c?.message?.includes('cannot get an Entra token') === true ? c : false;
    },
    { timeoutMs: 30_000, description: 'Launched says the token was refused' },
  );
  expect(failing).toMatchObject({ status: 'Unknown', reason: 'LaunchFailed' });
  expect(failing.message).toMatch(/AZURE_FEDERATED_TOKEN_FILE/);
  expect(sim.requests.requests().some((q) => q.path.includes('/token') && q.status >= 400)).toBe(true);

  await writeFile(tokenFile, await readFile(sim.tokenFile, 'utf8'));
  const ready = await eventually(
    async () => {
      const c = findCondition((await requests.get(r.metadata.name))?.status.conditions ?? [], ConditionTypes.ready);
      return c?.status === 'True' ? c : false;
    },
    { timeoutMs: 90_000, description: `${r.metadata.name} Ready after the token is fixed` },
  );
  expect(ready.status).toBe('True');
});

it('a persistent quota fault shows QuotaExceeded and ARM sees only a few requests a minute', async () => {
  expect((await sim.admin('POST', '/admin/faults', { kind: 'QuotaExceeded', vmSize: QUOTA_ZERO })).status).toBe(201);
  const r = await requests.create(newClaim(QUOTA_ZERO));
  const c = await eventually(
    async () => {
      const l = await launched(r.metadata.name);
      return l?.reason === 'QuotaExceeded' ? l : false;
    },
    { timeoutMs: 30_000, description: 'Launched=False QuotaExceeded' },
  );
  expect(c.status).toBe('False');
  expect(c.message).toMatch(/vCPU quota in eastus.*request a quota increase/);
  const since = sim.requests.requests().length;
  const windowMs = 30_000;
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const puts = sim.requests.requests().slice(since).filter((q) => q.method === 'PUT').length;
  const all = sim.requests.requests().length - since;
  const perMinute = (all * 60_000) / windowMs;
  process.stdout.write(`gpu-provisioner under a persistent quota fault: ${all} ARM requests (${puts} PUT) in ${windowMs / 1000} s = ${perMinute} per minute\n`);
  // capacity retry 10 s doubling: at most 2 attempts (GET + PUT each) in 30 s, plus GC lists.
  expect(puts).toBeLessThanOrEqual(2);
  expect(perMinute).toBeLessThanOrEqual(20);
  // Its next retries must not fall into the next test's Retry-After window (a request in flight
  // when the 429 arrives is not one the provisioner could have held back).
  await requests.delete(r.metadata.name);
  await eventually(async () => (await requests.get(r.metadata.name)) === undefined, { timeoutMs: 30_000, description: `${r.metadata.name} gone` });
}, 120_000);

it('a 429 with Retry-After stops every ARM call until it has passed, then the claim launches', async () => {
  expect((await sim.admin('POST', '/admin/faults', { kind: 'TooManyRequests', method: 'PUT', retryAfterSeconds: 5, times: 1 })).status).toBe(201);
  const since = sim.requests.requests().length;
  const r = await requests.create(newClaim(A100));
  await eventually(
    async () => findCondition((await requests.get(r.metadata.name))?.status.conditions ?? [], ConditionTypes.ready)?.status === 'True',
    { timeoutMs: 90_000, description: `${r.metadata.name} Ready after the throttling` },
  );
  const arm = sim.requests.requests().slice(since).filter((q) => q.path.startsWith('/subscriptions/'));
  const throttled = arm.find((q) => q.status === 429);
  expect(throttled).toBeDefined();
  const at = Date.parse(throttled?.time ?? '');
  const during = arm.filter((q) => q.seq > (throttled?.seq ?? 0) && Date.parse(q.time) < at + 5_000);
  process.stdout.write(`ARM requests within Retry-After (5 s) after the 429: ${during.length}\n`);
  expect(during).toEqual([]);
}, 120_000);

it('an ARM InvalidParameter is terminal: Launched=False InvalidRequest, no second PUT, and a launch once its retry record is removed', async () => {
  const claim = newClaim(A100);
  const pool = poolNameFor(claim.metadata.name);
  const fault = { kind: 'Custom', status: 400, code: 'InvalidParameter', message: 'The value of parameter agentPoolProfile.osDiskSizeGB is invalid.', method: 'PUT', pool };
  expect((await sim.admin('POST', '/admin/faults', fault)).status).toBe(201);
  const r = await requests.create(claim);
  const c = await eventually(
    async () => {
      const l = await launched(r.metadata.name);
      return l?.reason === 'InvalidRequest' ? l : false;
    },
    { timeoutMs: 30_000, description: 'Launched=False InvalidRequest' },
  );
  expect(c.status).toBe('False');
  expect(c.message).toMatch(/ARM rejected the request .*InvalidParameter.*osDiskSizeGB/);
  // Longer than the transient schedule's first four retries (1 + 2 + 4 + 8 s would be 4 more PUTs).
  await new Promise((resolve) => setTimeout(resolve, 16_000));
  const puts = sim.requests.requests().filter((q) => q.method === 'PUT' && q.path.endsWith(`/agentPools/${pool}`));
  process.stdout.write(`ARM PUTs of a claim rejected with InvalidParameter, 16 s later: ${puts.length}\n`);
  expect(puts).toHaveLength(1);
  expect(await launched(r.metadata.name)).toMatchObject({ status: 'False', reason: 'InvalidRequest' });

  // The cause is fixed on the ARM side; removing the retry record asks for one more launch.
  expect((await sim.admin('DELETE', '/admin/faults')).status).toBeLessThan(300);
  const current = await requests.get(r.metadata.name);
  if (current === undefined) throw new Error(`${r.metadata.name} vanished`);
  await requests.patchMetadata(current, { annotations: { [LAUNCH_RETRY_ANNOTATION]: null } });
  await eventually(async () => findCondition((await requests.get(r.metadata.name))?.status.conditions ?? [], ConditionTypes.ready)?.status === 'True', {
    timeoutMs: 90_000,
    description: `${r.metadata.name} Ready once its retry record is removed`,
  });
}, 150_000);
