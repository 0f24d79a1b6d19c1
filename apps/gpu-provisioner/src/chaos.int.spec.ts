/**
 * Chaos: gpu-provisioner, a separate process (`dist/main.js`; build it first), SIGKILLed at random
 * points while claims are being created and deleted, against the ARM + Entra simulator on the
 * local control plane. Each trial creates two claims and deletes the two of the trial before,
 * kills the provisioner after a random delay (the simulator's create takes 1 s, so many kills
 * land while an agent pool is Creating or Deleting), starts a new one and waits for the world to
 * settle. Then, from the simulator's pools and the API server:
 *
 * - orphaned: a pool (or its Node) whose claim does not exist, or that GC had to delete;
 * - duplicated: two pools for one claim;
 * - stuck: a claim that is not Ready, or not gone after its deletion, within the timeout.
 *
 * A last trial stops the managed cluster (simulator power state) with true orphans (owned pools
 * whose claim never existed, created past the GC grace period) next to live claims: GC deletes
 * nothing while it is Stopped, and only the orphans once it is Running again.
 *
 * GPU_CHAOS_SEED replays a run (the seed is printed); GPU_CHAOS_TRIALS sets the number of kills.
 */
import { randomUUID } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { KubeNodeSink } from '@kaito-ts/arm-simulator';
import { startTestArmSimulator, TEST_CLUSTER, TEST_LOCATION, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, type TestArmSimulator } from '@kaito-ts/arm-simulator/testing';
import { KubeClient, RestClient } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { isReady, type Node, NodeResource, nodeRequestClient, type NodeRequestClient } from '@kaito-ts/karpenter';
import { gpuNodeRequest } from '@kaito-ts/karpenter/testing';
import { createCredential } from './azure/credentials.js';
import { OWNER, PoolTags } from './azure/naming.js';
import { type ProvisionerProcess, startProvisionerProcess } from './testing/provisioner-process.js';

const SEED = Number(process.env['GPU_CHAOS_SEED'] ?? Date.now() % 2 ** 31);
const TRIALS = Number(process.env['GPU_CHAOS_TRIALS'] ?? 20);
const CREATE_DELAY_MS = 1_000;
/** Kills land anywhere in this window after the trial's creates and deletes were sent. */
const KILL_WINDOW_MS = 2_000;
const SETTLE_TIMEOUT_MS = 45_000;
const GC_INTERVAL = '4s';
const A100 = 'Standard_NC24ads_A100_v4';

const run = Math.random().toString(36).slice(2, 8);
const RUN_LABEL = 'chaos.kaito-ts.dev/run';
const rng = xoroshiro128plus(SEED);
const randomInt = (from: number, to: number): number => unsafeUniformIntDistribution(from, to, rng);

let sim: TestArmSimulator;
let transport: RestClient;
let kube: KubeClient;
let claims: NodeRequestClient;
let provisioner: ProvisionerProcess;
/** Every process's output, for the GC lines and for a failure to show. */
const outputs: string[] = [];
let seq = 0;

const kubeConfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env['KUBECONFIG'] ?? '');
  return kc;
};

async function startProvisioner(): Promise<ProvisionerProcess> {
  const p = await startProvisionerProcess(
    [
      '--api=nodeclaim',
      `--subscription=${TEST_SUBSCRIPTION}`,
      `--resource-group=${TEST_RESOURCE_GROUP}`,
      `--cluster-name=${TEST_CLUSTER}`,
      `--location=${TEST_LOCATION}`,
      `--arm-endpoint=${sim.url}`,
      `--kubeconfig=${process.env['KUBECONFIG'] ?? ''}`,
      `--selector=${RUN_LABEL}=${run}`,
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--termination-poll=500ms',
      // Re-read a creating pool soon (250 ms doubling): the trials settle in seconds.
      '--transient-retry=250ms',
      `--gc-interval=${GC_INTERVAL}`,
      '--arm-timeout=10s',
      '--log-format=json',
      '--log-level=info',
    ],
    sim.env,
  );
  outputs.push('');
  const index = outputs.length - 1;
  const refresh = (): void => {
    outputs[index] = p.output();
  };
  p.child.stdout?.on('data', refresh);
  p.child.stderr?.on('data', refresh);
  p.child.once('exit', refresh);
  return p;
}

/** Log lines (JSON) of every provisioner so far whose message is `message`. */
const logLines = (message: string): Record<string, unknown>[] =>
  outputs
    .join('\n')
    .split('\n')
    .filter((l) => l.includes(`"${message}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The simulator's pools this provisioner owns. */
const ownedPools = () => sim.state.snapshot().pools.filter((p) => (p.properties['tags'] as Record<string, string> | undefined)?.[PoolTags.owner] === OWNER);
const tagsOf = (p: { properties: Record<string, unknown> }): Record<string, string> => (p.properties['tags'] as Record<string, string> | undefined) ?? {};
const runNodes = async (): Promise<Node[]> => kube.list(NodeResource, { labelSelector: `${RUN_LABEL}=${run}` });

beforeAll(async () => {
  sim = await startTestArmSimulator({ nodes: new KubeNodeSink(kubeConfig().makeApiClient(CoreV1Api)), createDelayMs: CREATE_DELAY_MS, deleteDelayMs: 500, tickMs: 50, pageSize: 100 });
  transport = new RestClient(kubeConfig(), { userAgent: 'gpu-chaos' });
  kube = new KubeClient(transport, { fieldManager: 'gpu-chaos' });
  claims = nodeRequestClient(kube, 'nodeclaim');
  provisioner = await startProvisioner();
});

afterAll(async () => {
  for (const r of await claims.list({ labelSelector: `${RUN_LABEL}=${run}` })) await claims.delete(r.metadata.name);
  await eventually(async () => (await claims.list({ labelSelector: `${RUN_LABEL}=${run}` })).length === 0, { timeoutMs: 60_000, description: 'chaos claims gone' }).catch(() => undefined);
  await provisioner.stop('graceful');
  for (const n of await runNodes()) await kube.delete(NodeResource, { name: n.metadata.name });
  await transport.close();
  await sim.stop();
}, 120_000);

interface Tally {
  orphaned: string[];
  stuck: string[];
  duplicated: string[];
}

/** What is wrong now, given the claims that must exist (Ready) and those that must be gone. */
async function inspect(live: ReadonlySet<string>, gone: ReadonlySet<string>): Promise<Tally> {
  const all = await claims.list({ labelSelector: `${RUN_LABEL}=${run}` });
  const byName = new Map(all.map((r) => [r.metadata.name, r]));
  const stuck: string[] = [];
  for (const name of live) if (!(byName.get(name) !== undefined && isReady(byName.get(name)!))) stuck.push(`${name} not Ready`);
  for (const name of gone) if (byName.has(name)) stuck.push(`${name} not deleted`);
  const liveUIDs = new Set(all.filter((r) => r.metadata.deletionTimestamp === undefined).map((r) => r.metadata.uid));
  const pools = ownedPools().filter((p) => tagsOf(p)[PoolTags.requestName]?.startsWith(`chaos-${run}-`) === true);
  const orphaned = pools.filter((p) => !liveUIDs.has(tagsOf(p)[PoolTags.requestUID])).map((p) => `pool ${p.name} (${tagsOf(p)[PoolTags.requestName]}, ${p.state})`);
  const poolNames = new Set(pools.filter((p) => liveUIDs.has(tagsOf(p)[PoolTags.requestUID])).map((p) => p.name));
  for (const n of await runNodes()) if (!poolNames.has(n.metadata.labels?.['agentpool'] ?? '')) orphaned.push(`node ${n.metadata.name}`);
  const perClaim = new Map<string, number>();
  for (const p of pools) perClaim.set(tagsOf(p)[PoolTags.requestUID] ?? '', (perClaim.get(tagsOf(p)[PoolTags.requestUID] ?? '') ?? 0) + 1);
  const duplicated = [...perClaim].filter(([, n]) => n > 1).map(([uid, n]) => `${n} pools for claim uid ${uid}`);
  return { orphaned, stuck, duplicated };
}

it(`leaves no orphaned, stuck or duplicated agent pools when killed at random points during create and delete (seed ${SEED})`, async () => {
  process.stdout.write(`gpu-provisioner chaos: seed ${SEED} (GPU_CHAOS_SEED=${SEED} replays it), ${TRIALS} trials\n`);
  const started = Date.now();
  const live = new Set<string>();
  const gone = new Set<string>();
  const totals: Tally = { orphaned: [], stuck: [], duplicated: [] };
  for (let trial = 1; trial <= TRIALS; trial++) {
    const deleting = [...live];
    const creating = [1, 2].map(() => `chaos-${run}-${++seq}`);
    await Promise.all([
      ...creating.map((name) => claims.create(gpuNodeRequest({ api: 'nodeclaim', name, instanceType: A100, storage: '128Gi', labels: { [RUN_LABEL]: run } }))),
      ...deleting.map((name) => claims.delete(name)),
    ]);
    for (const name of deleting) {
      live.delete(name);
      gone.add(name);
    }
    for (const name of creating) live.add(name);

    const killAfterMs = randomInt(0, KILL_WINDOW_MS);
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    const states = ownedPools().map((p) => p.state);
    await provisioner.stop('crash');
    const killedAt = Date.now();
    provisioner = await startProvisioner();
    const restarted = Date.now();
    const tally = await eventually(
      async () => {
        const t = await inspect(live, gone);
        return t.orphaned.length + t.stuck.length + t.duplicated.length === 0 ? t : false;
      },
      { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 250, description: `trial ${trial} settles` },
    ).catch(() => inspect(live, gone));
    const count = (s: string) => states.filter((x) => x === s).length;
    process.stdout.write(
      `trial ${trial}: killed after ${killAfterMs} ms (pools Creating ${count('Creating')}, Deleting ${count('Deleting')}, Succeeded ${count('Succeeded')}); ` +
        `restarted in ${((restarted - killedAt) / 1000).toFixed(1)} s, settled ${((Date.now() - restarted) / 1000).toFixed(1)} s later` +
        `${tally.orphaned.length + tally.stuck.length + tally.duplicated.length > 0 ? `: ${JSON.stringify(tally)}` : ''}\n`,
    );
    totals.orphaned.push(...tally.orphaned);
    totals.stuck.push(...tally.stuck);
    totals.duplicated.push(...tally.duplicated);
  }
  // GC deleting a pool means it had been orphaned, however briefly.
  const collected = logLines('deleted leaked instance').map((l) => `pool ${String(l['instance'])} collected by GC`);
  totals.orphaned.push(...collected);
  process.stdout.write(
    `gpu-provisioner chaos: ${TRIALS} trials, ${totals.orphaned.length} orphaned, ${totals.stuck.length} stuck, ${totals.duplicated.length} duplicated (seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  expect(totals).toEqual({ orphaned: [], stuck: [], duplicated: [] });
}, 20 * 60_000);

it('deletes nothing while the managed cluster is Stopped, and only the true orphans once it runs again', async () => {
  const live = (await claims.list({ labelSelector: `${RUN_LABEL}=${run}` })).filter((r) => isReady(r));
  expect(live.length).toBeGreaterThan(0);
  const livePools = new Set(ownedPools().map((p) => p.name));
  // True orphans: owned by this provisioner for this cluster, for claims that never existed, made 10 minutes ago.
  const arm = new ContainerServiceClient(createCredential('workload-identity', sim.env, { agent: sim.agent }), TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent });
  const orphans = [`orph${run}a`, `orph${run}b`];
  const madeAt = new Date(Date.now() - 10 * 60_000).toISOString();
  await Promise.all(
    orphans.map((name) =>
      arm.agentPools.createOrUpdate(
        TEST_RESOURCE_GROUP,
        TEST_CLUSTER,
        name,
        {
          vmSize: A100,
          count: 1,
          nodeLabels: { [RUN_LABEL]: run },
          tags: { [PoolTags.owner]: OWNER, [PoolTags.cluster]: TEST_CLUSTER, [PoolTags.requestName]: `gone-${name}`, [PoolTags.requestUID]: randomUUID(), [PoolTags.createdAt]: madeAt },
        },
        { updateIntervalInMs: 100 },
      ),
    ),
  );
  await sim.state.setPowerState('Stopped');
  const since = sim.requests.requests().at(-1)?.seq ?? 0;
  const pausedBefore = logLines('garbage collection paused').length;
  // Three GC intervals: every pass in them finds the cluster stopped.
  await new Promise((resolve) => setTimeout(resolve, 13_000));
  const deletes = sim.requests.requests(since).filter((q) => q.method === 'DELETE');
  const paused = logLines('garbage collection paused').length - pausedBefore;
  process.stdout.write(`stopped cluster: ${paused} GC passes paused, ${deletes.length} DELETE requests, ${ownedPools().length} pools kept\n`);
  expect(paused).toBeGreaterThanOrEqual(2);
  expect(deletes).toEqual([]);
  expect(new Set(ownedPools().map((p) => p.name))).toEqual(new Set([...livePools, ...orphans]));

  await sim.state.setPowerState('Running');
  await eventually(() => ownedPools().every((p) => !orphans.includes(p.name)), { timeoutMs: 60_000, description: 'GC deletes the orphans once the cluster runs' }).catch((err: unknown) => {
    const gc = outputs.join('\n').split('\n').filter((l) => /garbage|leaked|periodic/.test(l)).slice(-15);
    throw new Error(`${(err as Error).message}; pools ${JSON.stringify(ownedPools().map((p) => [p.name, p.state]))}; the provisioner's GC lines:\n${gc.join('\n')}`);
  });
  expect(new Set(ownedPools().map((p) => p.name))).toEqual(livePools);
  for (const r of live) expect(isReady((await claims.get(r.metadata.name))!)).toBe(true);
}, 120_000);
