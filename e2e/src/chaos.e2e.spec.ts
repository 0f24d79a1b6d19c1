/**
 * Chaos: the workspace controller process is SIGKILLed at a random point while Workspaces are
 * being provisioned, and while they are being deleted, then started again (as a pod restart
 * would). After each restart every Workspace must converge with exactly its planned node
 * requests: none duplicated (a second request for the same plan), none leaked (a request, Node or
 * cloud instance left after its Workspace is gone).
 *
 * The kill points come from a seeded RNG; the seed is printed, and KAITO_TS_CHAOS_SEED=<seed>
 * replays the same schedule. KAITO_TS_CHAOS_TRIALS sets the number of trials (default 20, half
 * during provisioning, half during deletion).
 */
import { Labels } from '@kaito-ts/api';
import { type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { NodeResource } from '@kaito-ts/karpenter';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { startKwokProvisionerProcess } from './harness/kwok-provisioner.js';
import { createNamespace, deleteNamespace, leftovers, nodeRequestsOf, testKube, type TestKube, Workspaces } from './harness/kube.js';
import { kubectlApply } from './harness/kubectl.js';
import { ManagedProcess } from './harness/process.js';
import { runId } from './harness/repo.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { inferenceWorkspaceManifest, removeAllWorkspaces, waitForReady } from './harness/workspace.js';

const API = 'nodeclaim';
const SEED = Number(process.env['KAITO_TS_CHAOS_SEED'] ?? Date.now() % 2 ** 31);
const TRIALS = Number(process.env['KAITO_TS_CHAOS_TRIALS'] ?? 20);
/** Workspaces per batch: a batch is provisioned in one trial and deleted in the next. */
const BATCH = 3;
/** Kill points are drawn from [0, window): about as long as provisioning (or deletion) takes here. */
const PROVISIONING_WINDOW_MS = 3_000;
const DELETION_WINDOW_MS = 1_500;
/** Must equal CLOUD_LABEL of tools/kwok-provisioner: its instance records carry it. */
const KWOK_CLOUD_LABEL = 'kwok.kaito-ts.dev/cloud';

interface TrialOutcome {
  readonly trial: number;
  readonly phase: 'provisioning' | 'deletion';
  readonly killAfterMs: number;
  readonly converged: boolean;
  readonly leaked: string[];
  readonly duplicated: string[];
  readonly error?: string;
}

describe('chaos: the workspace controller killed during provisioning and deletion', () => {
  const run = runId();
  const rng = xoroshiro128plus(SEED);
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  const cloudNs = `e2e-chaos-cloud-${run}`;
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;

  beforeAll(async () => {
    process.stdout.write(`chaos: seed ${SEED} (KAITO_TS_CHAOS_SEED=${SEED} replays it), ${TRIALS} trials\n`);
    k = testKube('e2e-chaos');
    kube = k.kube;
    ns = await createNamespace(kube, 'e2e-chaos');
    [provisioner, controller] = await Promise.all([
      startKwokProvisionerProcess({ api: API, cloudNamespace: cloudNs, workspaceNamespace: ns, logName: `chaos-${run}-provisioner`, launchDelay: '500ms' }),
      startWorkspaceControllerProcess({ nodeApi: API, namespaces: [ns], logName: `chaos-${run}-workspace-controller` }),
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

  /** Node requests per Workspace name, from their `kaito.sh/workspace` label. */
  async function requestsByWorkspace(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const r of await nodeRequestsOf(kube, API, ns)) {
      const ws = r.metadata.labels?.[Labels.workspace] ?? '(unlabelled)';
      out.set(ws, [...(out.get(ws) ?? []), r.metadata.name]);
    }
    return out;
  }

  /**
   * Duplicates: a Workspace with more node requests than its status plans. Leaks: node requests
   * or Nodes of a Workspace that no longer exists, and cloud instances no request accounts for.
   */
  async function audit(): Promise<{ leaked: string[]; duplicated: string[] }> {
    const workspaces = new Map((await kube.list(Workspaces, { namespace: ns })).map((w) => [w.metadata.name, w]));
    const byWorkspace = await requestsByWorkspace();
    const duplicated: string[] = [];
    const leaked: string[] = [];
    for (const [name, requests] of byWorkspace) {
      const ws = workspaces.get(name);
      if (ws === undefined) leaked.push(...requests.map((r) => `NodeClaim ${r} (Workspace ${name} is gone)`));
      else if (requests.length > (ws.status?.targetNodeCount ?? 1)) duplicated.push(`Workspace ${name}: ${requests.length} node requests for ${ws.status?.targetNodeCount ?? 1} planned (${requests.join(', ')})`);
    }
    const requestNames = new Set([...byWorkspace.values()].flat());
    for (const node of (await kube.list(NodeResource, {})).filter((n) => n.metadata.labels?.[Labels.workspaceNamespace] === ns)) {
      const owner = node.metadata.labels?.[Labels.workspace] ?? '';
      if (!workspaces.has(owner)) leaked.push(`Node ${node.metadata.name} (Workspace ${owner} is gone)`);
    }
    const instances = (await kube.list(Resources.ConfigMap, { namespace: cloudNs })).filter((cm: KubeObject) => cm.metadata.labels?.[KWOK_CLOUD_LABEL] !== undefined);
    // An instance is named after its request; one that outlives every request is a leaked VM.
    if (instances.length > requestNames.size) leaked.push(`${instances.length - requestNames.size} cloud instance(s) without a node request: ${instances.map((i) => i.metadata.name).join(', ')}`);
    return { leaked, duplicated };
  }

  /** What the killed controller had got done: shows that kills land at different stages. */
  async function progress(): Promise<string> {
    const workspaces = await kube.list(Workspaces, { namespace: ns });
    const requests = (await nodeRequestsOf(kube, API, ns)).filter((r) => r.metadata.deletionTimestamp === undefined).length;
    const statefulSets = (await kube.list(Resources.StatefulSet, { namespace: ns })).length;
    return `${workspaces.length} Workspaces (${workspaces.filter((w) => w.metadata.finalizers !== undefined).length} with finalizer), ${requests} live node requests, ${statefulSets} StatefulSets`;
  }

  /** Kills the controller `killAfterMs` from now and starts it again; returns what it had done by then. */
  async function restartedAfter(killAfterMs: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    if (controller === undefined) throw new Error('no controller to kill');
    await controller.kill('SIGKILL');
    const atKill = await progress();
    controller = await ManagedProcess.start(controller.spec);
    return atKill;
  }

  it(`converges after every kill, with exactly the planned node requests: none leaked, none duplicated`, async () => {
    const outcomes: TrialOutcome[] = [];
    let batch: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const phase = trial % 2 === 1 ? 'provisioning' : 'deletion';
      const killAfterMs = unsafeUniformIntDistribution(0, (phase === 'provisioning' ? PROVISIONING_WINDOW_MS : DELETION_WINDOW_MS) - 1, rng);
      let error: string | undefined;
      let atKill = '';
      try {
        if (phase === 'provisioning') {
          batch = Array.from({ length: BATCH }, (_, i) => `chaos-${trial}-${i}`);
          await kubectlApply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch.map((name) => JSON.parse(inferenceWorkspaceManifest({ name, namespace: ns })) as unknown) }));
          atKill = await restartedAfter(killAfterMs);
          await Promise.all(batch.map((name) => waitForReady(kube, name, ns, 60_000)));
          await eventually(async () => {
            const byWorkspace = await requestsByWorkspace();
            const wrong = batch.filter((name) => byWorkspace.get(name)?.length !== 1);
            if (wrong.length > 0) throw new Error(`not exactly 1 node request: ${wrong.map((n) => `${n}: ${byWorkspace.get(n)?.length ?? 0}`).join(', ')}`);
            return true;
          }, { timeoutMs: 10_000, description: 'exactly the planned node request per Workspace' });
        } else {
          await Promise.all(batch.map((name) => kube.delete(Workspaces, { name, namespace: ns })));
          atKill = await restartedAfter(killAfterMs);
          await eventually(
            async () => {
              const left = [...(await kube.list(Workspaces, { namespace: ns })).map((w) => `Workspace ${w.metadata.name}`), ...(await leftovers(kube, ns))];
              if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
              return true;
            },
            { timeoutMs: 60_000, intervalMs: 300, description: 'every Workspace of the batch and all it made gone' },
          );
        }
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const { leaked, duplicated } = await audit();
      const outcome: TrialOutcome = { trial, phase, killAfterMs, converged: error === undefined, leaked, duplicated, ...(error !== undefined ? { error } : {}) };
      outcomes.push(outcome);
      process.stdout.write(`chaos trial ${trial} (${phase}, SIGKILL after ${killAfterMs} ms, when ${atKill}): ${error === undefined ? 'converged' : `NOT converged: ${error}`}; ${leaked.length} leaked, ${duplicated.length} duplicated\n`);
      if (error !== undefined) break; // the next trial would start from a broken state
    }

    const converged = outcomes.filter((o) => o.converged).length;
    const leaked = outcomes.reduce((n, o) => n + o.leaked.length, 0);
    const duplicated = outcomes.reduce((n, o) => n + o.duplicated.length, 0);
    process.stdout.write(`chaos: ${outcomes.length} trials, ${converged} converged, ${leaked} leaked, ${duplicated} duplicated (seed ${SEED})\n`);
    expect(outcomes.filter((o) => !o.converged || o.leaked.length > 0 || o.duplicated.length > 0)).toEqual([]);
    expect(outcomes).toHaveLength(TRIALS);
  }, 600_000);
});
