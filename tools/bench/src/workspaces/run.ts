/**
 * One run of the Workspace benchmark, on a fresh local control plane (`tools/cluster`), in the
 * reference measurement's shape:
 *
 * 1. the cluster is recreated (every run starts from the same empty state), CRDs installed;
 * 2. the controller's identity: a ServiceAccount bound to cluster-admin, a token for it from the
 *    TokenRequest API in a kubeconfig of its own, and the FlowSchemas that count its requests
 *    (attribution.ts); BYO: one fake GPU node per Workspace, Ready before anything starts;
 * 3. the kwok provisioner (`nodeclaim` mode, from source through tsx) and the workspace controller
 *    (its build, or its source through tsx) as separate processes, each `node` itself, so the pid
 *    measured is the controller's own;
 * 4. once the controller's request count is still: RSS idle, counters, T0, the burst of creates;
 * 5. the observer's informers (admin identity, not counted) stamp when each node request and each
 *    WorkspaceReady=True is first seen;
 * 6. after the measure: wait until the count has been still for `stillMs`, then `steadyMs` of
 *    steady state; RSS at the end; the processes stopped, the cluster removed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from '@kaito-ts/core/testing';
import { createLogger, Informer, type KubeObject, KubeClient, KubeListWatch, RestClient, Resources, type ResourceType } from '@kaito-ts/controller-runtime';
import { Labels } from '@kaito-ts/api';
import { nodeRequestResource } from '@kaito-ts/karpenter';
import { applyPath, down, gpuNodeManifest, isNodeReady, skuOrThrow, up } from '@kaito-ts/cluster';
import { type Counts, countsFromMetrics, diffCounts, flowSchemas, totals } from './attribution.js';
import type { BenchMode, ControllerMode, RunResult } from './workspaces-report.js';

export interface RunOptions {
  readonly mode: BenchMode;
  readonly count: number;
  readonly sku: string;
  readonly cluster: string;
  readonly repoRoot: string;
  /** Logs of the processes of each run. */
  readonly workDir: string;
  readonly stillMs: number;
  readonly steadyMs: number;
  /** Limit for each wait (node requests, Ready, stillness). */
  readonly timeoutMs: number;
  /** How the controller is run: `node <controllerNodeArgs> <flags>` (its dist build, or sourceArgs). */
  readonly controllerNodeArgs: readonly string[];
  readonly controllerArgs: readonly string[];
  readonly provisionerArgs: readonly string[];
  readonly keepCluster: boolean;
  readonly log: (line: string) => void;
}

const SA = { namespace: 'bench-system', name: 'workspace-controller' } as const;
const FLOW_PREFIX = 'bench-wsctl';
export const WORKSPACE_NAMESPACE = 'bench';
/** The BYO nodes' label a Workspace's labelSelector names. */
export const BYO_LABEL = 'kaito-ts.dev/bench-workspace';
export const PRESET = 'phi-3-mini-4k-instruct';
/** The name of the burst's `i`th Workspace (its BYO node is `byo-<name>`). */
export const byoWorkspaceName = (i: number): string => `ws-${String(i).padStart(3, '0')}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** VmRSS and VmHWM of a process, bytes (/proc/<pid>/status). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The processes get their kubeconfig by flag only; an inherited KUBECONFIG must not point them elsewhere. */
function withoutKubeconfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { KUBECONFIG: _ignored, ...rest } = env;
  return rest;
}

/** `node` arguments that run a TypeScript entry point of the repository from source, through tsx. */
export function sourceArgs(repoRoot: string, script: string): string[] {
  return ['--conditions=@kaito-ts/source', '--import', 'tsx', join(repoRoot, script)];
}

/** CPU seconds (user + system) a process has used (/proc/<pid>/stat, in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `node <nodeArgs> <args>` as its own process; resolves once it logged `startedLine`. */
export async function startProcess(o: RunOptions, name: string, nodeArgs: readonly string[], args: readonly string[], startedLine: string): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const logFile = join(o.workDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: o.repoRoot,
    env: withoutKubeconfig(process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out.write(chunk);
      if (head.length < 1 << 16) head += chunk.toString('utf8');
      if (head.includes(startedLine)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code ?? 'a signal'} before starting; log: ${logFile}\n${head.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`${name} did not start within 120 s; log: ${logFile}`)), 120_000).unref();
  });
  return { child, exited };
}

export async function stopProcess(p: { child: ChildProcess; exited: Promise<void> } | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(killer);
}

/** A kubeconfig for the ServiceAccount: the admin's server and CA, the SA's token. */
async function serviceAccountKubeconfig(admin: KubeClient, kc: KubeConfig, path: string): Promise<void> {
  const res = (await admin.transport.request({
    method: 'POST',
    path: `/api/v1/namespaces/${SA.namespace}/serviceaccounts/${SA.name}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 4 * 3600 } },
  })) as { status?: { token?: string } };
  const token = res.status?.token;
  if (token === undefined || token === '') throw new Error(`TokenRequest for ${SA.namespace}/${SA.name} returned no token`);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no current cluster');
  const caData = cluster.caData ?? (cluster.caFile !== undefined ? readFileSync(cluster.caFile).toString('base64') : undefined);
  writeFileSync(
    path,
    // JSON is YAML: client-node reads it as a kubeconfig.
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bench', cluster: { server: cluster.server, ...(caData !== undefined ? { 'certificate-authority-data': caData } : {}) } }],
      users: [{ name: SA.name, user: { token } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: SA.name } }],
      'current-context': 'bench',
    }),
    { mode: 0o600 },
  );
}

async function setUpIdentity(admin: KubeClient): Promise<void> {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SA.namespace } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WORKSPACE_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA.name, namespace: SA.namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `bench-${SA.name}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: SA.name, namespace: SA.namespace }],
    } as KubeObject,
    ...(flowSchemas(SA, { prefix: FLOW_PREFIX }) as KubeObject[]),
  ];
  for (const o of objects) await admin.apply(o);
}

function workspaceManifest(mode: BenchMode, sku: string, i: number): KubeObject {
  const name = byoWorkspaceName(i);
  const resource =
    mode === 'byo' ? { labelSelector: { matchLabels: { [BYO_LABEL]: name } } } : { instanceType: sku, labelSelector: { matchLabels: { apps: 'phi-3' } } };
  return { apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', metadata: { name, namespace: WORKSPACE_NAMESPACE }, resource, inference: { preset: { name: PRESET } } } as KubeObject;
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

export const isPodReady = (p: KubeObject): boolean =>
  ((p as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const isWorkspaceReady = (o: KubeObject): boolean =>
  ((o as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? []).some((c) => c.type === 'WorkspaceReady' && c.status === 'True');

/**
 * Each run's cluster, created anew with the repository's CRDs, and the harness's own client: admin
 * (system:masters, APF-exempt, never attributed), unthrottled.
 */
export async function freshBenchCluster(o: RunOptions): Promise<{ kubeconfig: string; kc: KubeConfig; rest: RestClient; admin: KubeClient }> {
  mkdirSync(o.workDir, { recursive: true });
  o.log(`[${o.mode} ${o.count} × ${o.sku}] fresh cluster ${o.cluster}`);
  await down({ name: o.cluster, log: () => undefined });
  const { state } = await up({ name: o.cluster, log: () => undefined });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await applyPath(kc, join(o.repoRoot, 'crds'));
  const rest = new RestClient(kc, { qps: 1000, burst: 1000, userAgent: 'bench-workspaces' });
  return { kubeconfig: state.kubeconfig, kc, rest, admin: new KubeClient(rest, { fieldManager: 'bench-workspaces' }) };
}

export async function runWorkspacesBench(o: RunOptions & { readonly mode: ControllerMode }): Promise<RunResult> {
  const { kubeconfig, kc, rest, admin } = await freshBenchCluster(o);
  const counts = async (): Promise<Counts> => countsFromMetrics(await rest.requestText({ method: 'GET', path: '/metrics' }), FLOW_PREFIX);
  const logger = createLogger({ level: 'error', format: 'json' });
  let controller: { child: ChildProcess; exited: Promise<void> } | undefined;
  let provisioner: { child: ChildProcess; exited: Promise<void> } | undefined;
  const informers: Informer<KubeObject>[] = [];
  try {
    await setUpIdentity(admin);
    const saKubeconfig = join(o.workDir, 'controller.kubeconfig');
    await serviceAccountKubeconfig(admin, kc, saKubeconfig);
    const adminKubeconfig = kubeconfig;

    if (o.mode === 'byo') {
      const sku = skuOrThrow(o.sku);
      const names = Array.from({ length: o.count }, (_, i) => byoWorkspaceName(i));
      await pool(names, 16, (name) => admin.create(Resources.Node, gpuNodeManifest(sku, { name: `byo-${name}`, labels: { [BYO_LABEL]: name } }) as unknown as KubeObject));
      await eventually(async () => (await admin.list(Resources.Node, { labelSelector: BYO_LABEL })).filter((n) => isNodeReady(n as never)).length === o.count, {
        timeoutMs: o.timeoutMs,
        intervalMs: 1000,
        description: `${o.count} BYO nodes Ready`,
      });
    }
    if (o.mode === 'nodeclaim') {
      provisioner = await startProcess(
        o,
        'kwok-provisioner',
        sourceArgs(o.repoRoot, 'tools/kwok-provisioner/src/main.ts'),
        [`--kubeconfig=${adminKubeconfig}`, '--leader-elect=false', '--metrics-port=off', '--health-port=off', '--log-format=json', ...o.provisionerArgs],
        'kwok provisioner started',
      );
    }
    controller = await startProcess(
      o,
      'workspace-controller',
      o.controllerNodeArgs,
      [`--kubeconfig=${saKubeconfig}`, '--leader-elect=false', '--metrics-port=off', '--health-port=off', '--log-format=json', ...o.controllerArgs],
      'workspace controller started',
    );
    const pid = controller.child.pid;
    if (pid === undefined) throw new Error('the workspace controller has no pid');

    // What is seen when: stamped by informers of the harness's own (admin, not attributed).
    const requestsSeen = new Map<string, number>();
    const readySeen = new Map<string, number>();
    let t0 = Number.POSITIVE_INFINITY;
    let allRequestsAt: number | undefined;
    let countsAtRequests: Promise<Counts> | undefined;
    const requestResource = nodeRequestResource('nodeclaim') as unknown as ResourceType<KubeObject>;
    const requestInformer = new Informer<KubeObject>({
      resource: requestResource,
      source: new KubeListWatch(rest, requestResource, { labelSelector: `${Labels.workspaceNamespace}=${WORKSPACE_NAMESPACE}` }),
      logger,
    });
    const workspaceInformer = new Informer<KubeObject>({ resource: Resources.Workspace, source: new KubeListWatch(rest, Resources.Workspace, { namespace: WORKSPACE_NAMESPACE }), logger });
    informers.push(requestInformer, workspaceInformer);
    // Where the time to Ready goes: when each StatefulSet is first seen, and each of its pods first Ready.
    const statefulSetSeen = new Map<string, number>();
    const podReadySeen = new Map<string, number>();
    const statefulSetInformer = new Informer<KubeObject>({ resource: Resources.StatefulSet, source: new KubeListWatch(rest, Resources.StatefulSet, { namespace: WORKSPACE_NAMESPACE }), logger });
    const podInformer = new Informer<KubeObject>({ resource: Resources.Pod, source: new KubeListWatch(rest, Resources.Pod, { namespace: WORKSPACE_NAMESPACE }), logger });
    informers.push(statefulSetInformer, podInformer);
    statefulSetInformer.addEventHandler({ onAdd: (sts) => void (statefulSetSeen.has(sts.metadata.name) || statefulSetSeen.set(sts.metadata.name, Date.now())) });
    const onPod = (p: KubeObject): void => {
      if (!podReadySeen.has(p.metadata.name) && isPodReady(p)) podReadySeen.set(p.metadata.name, Date.now());
    };
    podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_old, p) => onPod(p) });
    requestInformer.addEventHandler({
      onAdd: (r) => {
        if (requestsSeen.has(r.metadata.name)) return;
        requestsSeen.set(r.metadata.name, Date.now());
        if (requestsSeen.size === o.count && allRequestsAt === undefined) {
          allRequestsAt = Date.now();
          countsAtRequests = counts();
        }
      },
    });
    const onWorkspace = (w: KubeObject): void => {
      if (!readySeen.has(w.metadata.name) && isWorkspaceReady(w)) readySeen.set(w.metadata.name, Date.now());
    };
    workspaceInformer.addEventHandler({ onAdd: onWorkspace, onUpdate: (_old, w) => onWorkspace(w) });
    for (const i of informers) i.start();
    await Promise.all(informers.map((i) => i.waitForSync()));

    // Idle: the controller's caches are synced once it stopped sending requests.
    const idle = await waitUntilStill(counts, o, 'the idle controller');
    const rssIdle = memoryOf(pid).rss;
    const cpuIdle = cpuSecondsOf(pid);
    const loadStart = loadavg()[0] ?? 0;
    o.log(`[${o.mode} ${o.count} × ${o.sku}] idle: ${totals(idle).total} requests at start, RSS ${(rssIdle / 2 ** 20).toFixed(0)} MiB; burst of ${o.count}`);

    t0 = Date.now();
    await pool(Array.from({ length: o.count }, (_, i) => workspaceManifest(o.mode, o.sku, i)), 32, (ws) => admin.create(Resources.Workspace, ws));
    o.log(`[${o.mode} ${o.count} × ${o.sku}] created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const incomplete: string[] = [];
    if (o.mode !== 'byo') {
      await eventually(() => allRequestsAt !== undefined, { timeoutMs: o.timeoutMs, intervalMs: 100, description: 'every node request' }).catch(() =>
        incomplete.push(`${requestsSeen.size}/${o.count} node requests within ${o.timeoutMs / 1000} s`),
      );
    }
    if (o.mode !== 'nodeclaim-only') {
      await eventually(() => readySeen.size === o.count, { timeoutMs: o.timeoutMs, intervalMs: 100, description: 'every WorkspaceReady' }).catch(() =>
        incomplete.push(`${readySeen.size}/${o.count} WorkspaceReady within ${o.timeoutMs / 1000} s`),
      );
    }
    o.log(`[${o.mode} ${o.count} × ${o.sku}] measured (${requestsSeen.size} node requests, ${readySeen.size} Ready); waiting for ${o.stillMs / 1000} s without requests`);
    const settled = await waitUntilStill(counts, o, 'the controller after the burst');
    const cpuBurst = cpuSecondsOf(pid) - cpuIdle;
    o.log(`[${o.mode} ${o.count} × ${o.sku}] steady state for ${o.steadyMs / 1000} s`);
    await sleep(o.steadyMs);
    const end = await counts();
    const mem = memoryOf(pid);
    return {
      mode: o.mode,
      count: o.count,
      sku: o.sku,
      ...(allRequestsAt !== undefined ? { nodeRequestsS: (allRequestsAt - t0) / 1000 } : {}),
      nodeRequestsSeen: requestsSeen.size,
      readyS: [...readySeen.values()].map((t) => (t - t0) / 1000),
      ...(statefulSetSeen.size > 0 ? { statefulSetsS: [...statefulSetSeen.values()].map((t) => (t - t0) / 1000) } : {}),
      ...(podReadySeen.size > 0 ? { podsReadyS: [...podReadySeen.values()].map((t) => (t - t0) / 1000) } : {}),
      requests: diffCounts(settled, idle),
      ...(countsAtRequests !== undefined ? { requestsToNodeRequests: diffCounts(await countsAtRequests, idle) } : {}),
      steady: diffCounts(end, settled),
      steadySeconds: o.steadyMs / 1000,
      cpuSeconds: cpuBurst,
      rssIdleBytes: rssIdle,
      rssEndBytes: mem.rss,
      rssPeakBytes: mem.peak,
      load: { start: loadStart, end: loadavg()[0] ?? 0 },
      ...(incomplete.length > 0 ? { incomplete: incomplete.join('; ') } : {}),
    };
  } finally {
    await Promise.all(informers.map((i) => i.stop()));
    await stopProcess(controller);
    await stopProcess(provisioner);
    await rest.close();
    if (!o.keepCluster) await down({ name: o.cluster, log: () => undefined });
  }
}

/** The counters once they have not moved for `stillMs` ("still", as the reference measured). */
async function waitUntilStill(read: () => Promise<Counts>, o: RunOptions, what: string): Promise<Counts> {
  let last = await read();
  let since = Date.now();
  return eventually(
    async () => {
      const now = await read();
      if (totals(now).total !== totals(last).total) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= o.stillMs && now;
    },
    { timeoutMs: o.timeoutMs, intervalMs: 1000, description: `${what}: no request for ${o.stillMs / 1000} s` },
  );
}
