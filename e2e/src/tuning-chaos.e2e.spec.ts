/**
 * Tuning chaos: the workspace controller process is SIGKILLed at a seeded random point of a
 * tuning run — during the pre-flight, while the node request is served, while the Job runs, as the
 * Job completes, or as the node request is released — and started again (as a pod restart would).
 * After each restart every Workspace of the trial must end with exactly one Job, which ran to
 * completion (its uid never changed: a watch records every Job uid it sees), state Succeeded with
 * WorkspaceSucceeded True, its node request released, and never a second node request.
 *
 * Job pods run on the kwok provisioner's fake GPU nodes; kwok completes them after
 * `complete-after` (the controller puts that annotation on its Job pods through
 * --tuning-pod-annotation). The kill point is drawn from a seeded RNG, counted from the moment the
 * trial's first Workspace reaches the phase; the seed is printed and KAITO_TS_CHAOS_SEED=<seed>
 * replays it. KAITO_TS_TUNING_CHAOS_TRIALS sets the number of trials (default 10, two per phase).
 */
import { ConditionType, Labels, type Workspace } from '@kaito-ts/api';
import { Informer, type KubeClient, type KubeObject, KubeListWatch, Resources, RestClient } from '@kaito-ts/controller-runtime';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { eventually } from '@kaito-ts/core/testing';
import { NodeResource, type NodeRequestObject, nodeRequestResource } from '@kaito-ts/karpenter';
import { KubeConfig, type V1Job } from '@kubernetes/client-node';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { startKwokProvisionerProcess } from './harness/kwok-provisioner.js';
import { conditionOf, createNamespace, deleteNamespace, testKube, type TestKube, Workspaces } from './harness/kube.js';
import { kubectlApply } from './harness/kubectl.js';
import { ManagedProcess } from './harness/process.js';
import { kubeconfigPath, runId } from './harness/repo.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { removeAllWorkspaces } from './harness/workspace.js';

const API = 'nodeclaim';
const SEED = Number(process.env['KAITO_TS_CHAOS_SEED'] ?? Date.now() % 2 ** 31);
const TRIALS = Number(process.env['KAITO_TS_TUNING_CHAOS_TRIALS'] ?? 10);
/** Workspaces tuned at once in a trial: one kill hits each at a slightly different point. */
const BATCH = 3;
/** How long kwok keeps a Job pod Running before it completes it. */
const JOB_RUNS_MS = 1_000;
const PUSH_SECRET = 'registry-push';
const REGISTRY = 'registry.example.com';
/** Must equal CLOUD_LABEL of tools/kwok-provisioner: its instance records carry it. */
const KWOK_CLOUD_LABEL = 'kwok.kaito-ts.dev/cloud';

/**
 * Where a kill lands, and for how long after the phase began (ms) it may be drawn. The windows
 * are about as long as each phase lasts here (launch delay 500 ms, a Job pod Running 1 s).
 */
const PHASES = [
  { phase: 'pre-flight', windowMs: 400 },
  { phase: 'node request', windowMs: 500 },
  { phase: 'Job running', windowMs: JOB_RUNS_MS },
  { phase: 'Job completion', windowMs: 300 },
  { phase: 'node release', windowMs: 300 },
] as const;
type Phase = (typeof PHASES)[number]['phase'];

interface TrialOutcome {
  readonly trial: number;
  readonly phase: Phase;
  readonly killAfterMs: number;
  readonly converged: boolean;
  readonly duplicateJobs: string[];
  readonly duplicateRequests: string[];
  readonly leaked: string[];
  readonly error?: string;
}

/** The seed's tuning Workspace, its dataset URL and output registry replaced (nothing is fetched or pushed: kwok runs the pod). */
function tuningManifest(name: string, namespace: string): unknown {
  return {
    apiVersion: 'kaito.sh/v1alpha1',
    kind: 'Workspace',
    metadata: { name, namespace },
    resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { app: name } } },
    tuning: {
      preset: { name: 'phi-3-mini-128k-instruct' },
      method: 'qlora',
      input: { urls: ['http://localhost:8080/train.parquet'] },
      output: { image: `${REGISTRY}/adapters/${name}:0.0.1`, imagePushSecret: PUSH_SECRET },
    },
  };
}

describe('tuning chaos: the workspace controller killed at random points of a tuning run', () => {
  const run = runId();
  const rng = xoroshiro128plus(SEED);
  let k: TestKube;
  let kube: KubeClient;
  let transport: RestClient;
  let ns: string;
  const cloudNs = `e2e-tunchaos-cloud-${run}`;
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;
  let jobInformer: Informer<KubeObject> | undefined;
  let requestInformer: Informer<NodeRequestObject> | undefined;
  /** Every Job uid, node request uid and node request name ever seen, by Workspace name. */
  const jobUids = new Map<string, Set<string>>();
  const requestUids = new Map<string, Set<string>>();
  const requestNames = new Map<string, Set<string>>();

  const record = (into: Map<string, Set<string>>, workspace: string | undefined, uid: string | undefined): void => {
    if (workspace === undefined || uid === undefined) return;
    into.set(workspace, (into.get(workspace) ?? new Set()).add(uid));
  };

  beforeAll(async () => {
    process.stdout.write(`tuning chaos: seed ${SEED} (KAITO_TS_CHAOS_SEED=${SEED} replays it), ${TRIALS} trials of ${BATCH} Workspaces\n`);
    k = testKube('e2e-tunchaos');
    kube = k.kube;
    ns = await createNamespace(kube, 'e2e-tunchaos');
    await kube.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: PUSH_SECRET, namespace: ns },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [REGISTRY]: { auth: Buffer.from('u:p').toString('base64') } } })).toString('base64') },
    } as KubeObject);

    // The test's own watches: a Job or node request made twice (even if deleted at once) shows as a second uid.
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    transport = new RestClient(kc, { userAgent: 'e2e-tunchaos-watch' });
    jobInformer = new Informer({ resource: Resources.Job, source: new KubeListWatch(transport, Resources.Job, { namespace: ns }), logger: silentLogger() });
    jobInformer.addEventHandler({ onAdd: (j) => record(jobUids, j.metadata.name, j.metadata.uid), onUpdate: (_o, j) => record(jobUids, j.metadata.name, j.metadata.uid) });
    const requests = nodeRequestResource(API);
    requestInformer = new Informer({ resource: requests, source: new KubeListWatch(transport, requests, { labelSelector: `${Labels.workspaceNamespace}=${ns}` }), logger: silentLogger() });
    const onRequest = (r: KubeObject): void => {
      record(requestUids, r.metadata.labels?.[Labels.workspace], r.metadata.uid);
      record(requestNames, r.metadata.labels?.[Labels.workspace], r.metadata.name);
    };
    requestInformer.addEventHandler({ onAdd: onRequest, onUpdate: (_o, r) => onRequest(r) });
    jobInformer.start();
    requestInformer.start();
    await Promise.all([jobInformer.waitForSync(), requestInformer.waitForSync()]);

    [provisioner, controller] = await Promise.all([
      startKwokProvisionerProcess({ api: API, cloudNamespace: cloudNs, workspaceNamespace: ns, logName: `tunchaos-${run}-provisioner`, launchDelay: '500ms' }),
      startWorkspaceControllerProcess({
        nodeApi: API,
        namespaces: [ns],
        logName: `tunchaos-${run}-workspace-controller`,
        extraArgs: ['--tuning-allow-loopback-inputs=true', `--tuning-pod-annotation=kaito-ts.dev/complete-after=${JOB_RUNS_MS / 1000}s`],
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await removeAllWorkspaces(kube, ns);
    await controller?.stop();
    await provisioner?.stop();
    await jobInformer?.stop();
    await requestInformer?.stop();
    await transport.close();
    await deleteNamespace(kube, ns);
    await deleteNamespace(kube, cloudNs);
    await k.close();
  });

  const jobsOf = (batch: readonly string[]): V1Job[] => batch.flatMap((n) => (jobInformer?.get(ns, n) as V1Job | undefined) ?? []);
  const requestsOf = (batch: readonly string[]): NodeRequestObject[] => (requestInformer?.list() ?? []).filter((r) => batch.includes(r.metadata.labels?.[Labels.workspace] ?? ''));
  const completed = (j: V1Job): boolean => (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

  /** Resolves when the first Workspace of `batch` reaches `phase` (as the test's watches see it). */
  function phaseBegins(phase: Phase, batch: readonly string[]): Promise<unknown> {
    const seen: Record<Phase, () => boolean> = {
      'pre-flight': () => true,
      'node request': () => requestsOf(batch).length > 0,
      'Job running': () => jobsOf(batch).length > 0,
      'Job completion': () => jobsOf(batch).some(completed),
      'node release': () => requestsOf(batch).some((r) => r.metadata.deletionTimestamp !== undefined) || (jobsOf(batch).some(completed) && requestsOf(batch).length === 0),
    };
    return eventually(() => seen[phase](), { timeoutMs: 60_000, intervalMs: 20, description: `a Workspace of the batch to reach "${phase}"` });
  }

  /** Returns how long the new process took to start (ms): most of a trial's time here. */
  async function killAndRestart(): Promise<number> {
    if (controller === undefined) throw new Error('no controller to kill');
    await controller.kill('SIGKILL');
    const t0 = Date.now();
    controller = await ManagedProcess.start(controller.spec);
    return Date.now() - t0;
  }

  /** The Workspace as it must end: Succeeded, its one Job complete, its node request released. */
  async function converged(name: string): Promise<true> {
    const ws: Workspace = await kube.get(Workspaces, name, ns);
    const succeeded = conditionOf(ws, ConditionType.WorkspaceSucceeded);
    if (ws.status?.state !== 'Succeeded' || succeeded?.status !== 'True') throw new Error(`${name}: state ${ws.status?.state ?? 'none'}, WorkspaceSucceeded ${succeeded?.status ?? 'absent'} ${succeeded?.reason ?? ''}: ${succeeded?.message ?? ''}`);
    const job = (await kube.find(Resources.Job, name, ns)) as V1Job | undefined;
    if (job === undefined || !completed(job) || job.status?.succeeded !== 1) throw new Error(`${name}: Job ${job === undefined ? 'missing' : `not complete (succeeded ${job.status?.succeeded ?? 0})`}`);
    const left = requestsOf([name]).map((r) => r.metadata.name);
    if (left.length > 0) throw new Error(`${name}: node request(s) not released: ${left.join(', ')}`);
    const resource = conditionOf(ws, ConditionType.ResourceReady);
    if (resource?.reason !== 'NodesReleased') throw new Error(`${name}: ResourceReady ${resource?.status ?? 'absent'} ${resource?.reason ?? ''}, not NodesReleased`);
    return true;
  }

  /** Node requests, Nodes or cloud instances of the batch still there (after convergence: leaks). */
  async function leaks(batch: readonly string[]): Promise<string[]> {
    const ofBatch = (o: KubeObject): boolean => o.metadata.labels?.[Labels.workspaceNamespace] === ns && batch.includes(o.metadata.labels[Labels.workspace] ?? '');
    const requests = (await kube.list(nodeRequestResource(API), {})).filter(ofBatch);
    const nodes = (await kube.list(NodeResource, {})).filter(ofBatch);
    // A kwok instance record names the node request it was made for (data.requestName).
    const names = new Set(batch.flatMap((n) => [...(requestNames.get(n) ?? [])]));
    const instances = (await kube.list(Resources.ConfigMap, { namespace: cloudNs })).filter(
      (cm: KubeObject & { data?: Record<string, string> }) => cm.metadata.labels?.[KWOK_CLOUD_LABEL] !== undefined && names.has(cm.data?.['requestName'] ?? ''),
    );
    return [...requests.map((r) => `NodeClaim ${r.metadata.name}`), ...nodes.map((n) => `Node ${n.metadata.name}`), ...instances.map((i) => `cloud instance ${i.metadata.name}`)];
  }

  it(`every trial converges: one Job per Workspace ran to completion, Succeeded, node request released, none duplicated`, async () => {
    const started = Date.now();
    const outcomes: TrialOutcome[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const { phase, windowMs } = PHASES[(trial - 1) % PHASES.length] as (typeof PHASES)[number];
      const killAfterMs = unsafeUniformIntDistribution(0, windowMs - 1, rng);
      const batch = Array.from({ length: BATCH }, (_, i) => `tun-${trial}-${i}`);
      const trialStarted = Date.now();
      let restartMs = 0;
      let error: string | undefined;
      try {
        await kubectlApply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch.map((name) => tuningManifest(name, ns)) }));
        await phaseBegins(phase, batch);
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
        restartMs = await killAndRestart();
        await Promise.all(batch.map((name) => eventually(() => converged(name), { timeoutMs: 60_000, intervalMs: 250, description: `${name} to converge` })));
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const duplicateJobs = batch.filter((n) => (jobUids.get(n)?.size ?? 0) > 1).map((n) => `${n}: Jobs ${[...(jobUids.get(n) ?? [])].join(', ')}`);
      const duplicateRequests = batch.filter((n) => (requestUids.get(n)?.size ?? 0) > 1).map((n) => `${n}: node requests ${[...(requestUids.get(n) ?? [])].join(', ')}`);
      const noJob = batch.filter((n) => (jobUids.get(n)?.size ?? 0) === 0);
      if (error === undefined && noJob.length > 0) error = `no Job ever seen for ${noJob.join(', ')}`;
      // A Node or instance may trail its released request by a moment; a leak is one still there after 10 s.
      const leaked =
        error === undefined
          ? await eventually(async () => (await leaks(batch)).length === 0, { timeoutMs: 10_000, description: 'nothing of the batch left' }).then(
              () => [],
              () => leaks(batch),
            )
          : [];
      outcomes.push({ trial, phase, killAfterMs, converged: error === undefined, duplicateJobs, duplicateRequests, leaked, ...(error !== undefined ? { error } : {}) });
      process.stdout.write(
        `tuning chaos trial ${trial} (${phase}, SIGKILL ${killAfterMs} ms in): ${error === undefined ? 'converged' : `NOT converged: ${error}`}; ${duplicateJobs.length} duplicate jobs, ${duplicateRequests.length} duplicate node requests, ${leaked.length} leaked (${((Date.now() - trialStarted) / 1000).toFixed(1)} s, restart ${(restartMs / 1000).toFixed(1)} s)\n`,
      );
      if (error !== undefined) break; // the next trial would start from a broken state
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const convergedCount = outcomes.filter((o) => o.converged).length;
    const duplicates = outcomes.reduce((n, o) => n + o.duplicateJobs.length, 0);
    // A second node request for a Workspace is paid for outside its plan: counted with the leaked ones.
    const leakedCount = outcomes.reduce((n, o) => n + o.leaked.length + o.duplicateRequests.length, 0);
    process.stdout.write(`tuning chaos: ${outcomes.length} trials, ${convergedCount} converged, ${duplicates} duplicate jobs, ${leakedCount} leaked node requests (seed ${SEED}, ${seconds} s)\n`);
    expect(outcomes.filter((o) => !o.converged || o.duplicateJobs.length > 0 || o.duplicateRequests.length > 0 || o.leaked.length > 0)).toEqual([]);
    expect(outcomes).toHaveLength(TRIALS);
  }, 600_000);
});
