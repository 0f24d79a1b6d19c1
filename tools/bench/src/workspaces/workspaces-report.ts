/**
 * The Workspace benchmark's arithmetic and table (pure, unit-tested): latencies from the burst's
 * T0, requests per Workspace from the attributed counts, and each figure next to the reference
 * controller's (Kaito v0.12, measured on this project's local control plane the same way) and
 * the target.
 */
import { median } from '../report.js';
import { type Counts, type CountedResource, RESOURCES, totals, type Verb, VERBS } from './attribution.js';

/**
 * - `nodeclaim`: NodeClaims, the kwok provisioner running as a process, measured to WorkspaceReady;
 * - `nodeclaim-only`: NodeClaims with no provisioner, the reference's shape: the run ends when
 *   every node request exists (its requests per Workspace are the ones to compare);
 * - `byo`: no instance type; one pre-created fake GPU node per Workspace, matched by labelSelector;
 * - `byo-floor`: no controller during the burst: the BYO run's StatefulSets and Services created by
 *   an admin at once, measured to every pod Ready (floor.ts): the cluster's own share of a BYO run.
 */
export const MODES = ['nodeclaim', 'nodeclaim-only', 'byo', 'byo-floor'] as const;
export type BenchMode = (typeof MODES)[number];
/** The modes that measure the controller (`byo-floor` measures the cluster without it). */
export type ControllerMode = Exclude<BenchMode, 'byo-floor'>;

/** What a `byo-floor` run measured. */
export interface FloorResult {
  readonly mode: 'byo-floor';
  readonly count: number;
  readonly sku: string;
  /** Seconds from T0 until the burst's last create returned. */
  readonly createdS: number;
  /** Seconds from T0 at which each StatefulSet's pod was first seen Ready (only those that were). */
  readonly readyS: readonly number[];
  /** The API server's requests by `VERB resource[/subresource]` from T0 until every pod was Ready, largest first. */
  readonly requests: readonly { readonly what: string; readonly requests: number }[];
  readonly load: { readonly start: number; readonly end: number };
  readonly incomplete?: string;
}

export interface RunResult {
  readonly mode: ControllerMode;
  readonly count: number;
  readonly sku: string;
  /** Seconds from T0 until the last node request was seen; undefined when not all appeared (or BYO). */
  readonly nodeRequestsS?: number;
  readonly nodeRequestsSeen: number;
  /** Seconds from T0 at which each Workspace was first seen WorkspaceReady=True (only those that were). */
  readonly readyS: readonly number[];
  /** Seconds from T0 at which each inference StatefulSet was first seen (runs with a workload). */
  readonly statefulSetsS?: readonly number[];
  /** Seconds from T0 at which each inference pod was first seen Ready: the cluster's part of the time to WorkspaceReady. */
  readonly podsReadyS?: readonly number[];
  /** Attributed requests from just before T0 until the count was still after the measure ended. */
  readonly requests: Counts;
  /** Attributed requests from just before T0 until the last node request was seen (NodeClaim modes). */
  readonly requestsToNodeRequests?: Counts;
  /** Attributed requests during the steady-state window. */
  readonly steady: Counts;
  readonly steadySeconds: number;
  /** CPU seconds the controller used from T0 until the count was still (machine load included in the wall times, not in this). */
  readonly cpuSeconds?: number;
  readonly rssIdleBytes: number;
  readonly rssEndBytes: number;
  readonly rssPeakBytes: number;
  /** 1-minute load average at the burst and at the end of the steady state. */
  readonly load: { readonly start: number; readonly end: number };
  /** What did not finish within the time limit, if anything. */
  readonly incomplete?: string;
}

export interface ReferenceFigures {
  readonly nodeRequestsS?: number;
  readonly readyP50S?: number;
  readonly readyAllS?: number;
  readonly requestsPerWorkspace: number;
  readonly rssIdleMiB: number;
  readonly rssEndMiB: number;
  readonly steadyWrites: number;
}

/**
 * Kaito v0.12's workspace controller on this project's local control plane (medians of 2 runs):
 * NodeClaim mode without a provisioner (ends when every NodeClaim exists), BYO to Ready.
 */
export const REFERENCE: Readonly<Record<'nodeclaim' | 'byo', Readonly<Record<number, ReferenceFigures>>>> = {
  nodeclaim: {
    50: { nodeRequestsS: 6.1, requestsPerWorkspace: 8.3, rssIdleMiB: 53, rssEndMiB: 59, steadyWrites: 0 },
    200: { nodeRequestsS: 28.3, requestsPerWorkspace: 8.3, rssIdleMiB: 53, rssEndMiB: 66, steadyWrites: 0 },
  },
  byo: {
    50: { readyP50S: 16.6, readyAllS: 18.3, requestsPerWorkspace: 11.5, rssIdleMiB: 53, rssEndMiB: 65, steadyWrites: 0 },
    200: { readyP50S: 65, readyAllS: 72.5, requestsPerWorkspace: 11.3, rssIdleMiB: 53, rssEndMiB: 77, steadyWrites: 0 },
  },
};

/** The issue's targets. */
export const TARGETS = {
  /** All node requests of 200 Workspaces exist within (s). */
  nodeRequests200S: 14,
  /** All 200 BYO Workspaces Ready within (s). */
  byoReady200S: 18,
  requestsPerWorkspace: { nodeclaim: 6, byo: 8 },
  rssMiB: 100,
  steadyWrites: 0,
} as const;

const MIB = 1024 * 1024;

export interface Latencies {
  readonly ready: number;
  readonly p50?: number;
  /** The last Workspace's, only when every Workspace was Ready. */
  readonly all?: number;
}

/** p50 over the Workspaces that were Ready, and "all" only when every one of `count` was. */
export function readyLatencies(readyS: readonly number[], count: number): Latencies {
  if (readyS.length === 0) return { ready: 0 };
  return { ready: readyS.length, p50: median(readyS), ...(readyS.length >= count ? { all: Math.max(...readyS) } : {}) };
}

export interface PerWorkspace {
  readonly total: number;
  readonly writes: number;
  readonly byVerb: Readonly<Record<Verb, number>>;
  /** Non-zero (verb, resource) cells, per Workspace, largest first. */
  readonly cells: readonly { readonly verb: Verb; readonly resource: CountedResource; readonly perWorkspace: number }[];
}

export function perWorkspace(counts: Counts, workspaces: number): PerWorkspace {
  const t = totals(counts);
  const cells = VERBS.flatMap((verb) => RESOURCES.map((resource) => ({ verb, resource, perWorkspace: counts[verb][resource] / workspaces })))
    .filter((c) => c.perWorkspace !== 0)
    .sort((a, b) => b.perWorkspace - a.perWorkspace);
  const byVerb = Object.fromEntries(VERBS.map((v) => [v, t.byVerb[v] / workspaces])) as Record<Verb, number>;
  return { total: t.total / workspaces, writes: t.writes / workspaces, byVerb, cells };
}

/** The reference figures this run compares with, if the reference measured that shape. */
export function referenceFor(run: Pick<RunResult, 'mode' | 'count'>): ReferenceFigures | undefined {
  return REFERENCE[run.mode === 'byo' ? 'byo' : 'nodeclaim'][run.count];
}

/** The requests per Workspace compared with the target: the reference's window for the mode. */
export function comparedRequests(run: RunResult): { readonly counts: Counts; readonly window: string } {
  if (run.mode === 'nodeclaim' && run.requestsToNodeRequests !== undefined) return { counts: run.requestsToNodeRequests, window: 'T0 → all node requests exist' };
  return { counts: run.requests, window: run.mode === 'nodeclaim-only' ? 'T0 → all node requests exist, settled' : 'T0 → all Ready, settled' };
}

const s = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(1)} s`);
const n1 = (x: number): string => x.toFixed(1);
const mib = (bytes: number): number => bytes / MIB;

/** `✓` or `✗` against an upper bound; blank when there is no target. */
function verdict(value: number | undefined, limit: number | undefined): string {
  if (limit === undefined) return '';
  if (value === undefined) return ' ✗';
  return value <= limit ? ' ✓' : ' ✗';
}

function targetsFor(run: RunResult): { nodeRequestsS?: number; readyAllS?: number; requestsPerWorkspace: number } {
  const requestsPerWorkspace = run.mode === 'byo' ? TARGETS.requestsPerWorkspace.byo : TARGETS.requestsPerWorkspace.nodeclaim;
  if (run.count !== 200) return { requestsPerWorkspace };
  if (run.mode === 'byo') return { readyAllS: TARGETS.byoReady200S, requestsPerWorkspace };
  return { nodeRequestsS: TARGETS.nodeRequests200S, requestsPerWorkspace };
}

function ourRow(run: RunResult): string {
  const t = targetsFor(run);
  const lat = readyLatencies(run.readyS, run.count);
  const compared = perWorkspace(comparedRequests(run).counts, run.count);
  const steadyWrites = totals(run.steady).writes;
  const ready = run.mode === 'nodeclaim-only' ? '–' : `${s(lat.p50)} / ${lat.all !== undefined ? s(lat.all) : `${lat.ready}/${run.count} Ready`}${verdict(lat.all, t.readyAllS)}`;
  const nodeRequests = run.mode === 'byo' ? '–' : `${run.nodeRequestsS !== undefined ? s(run.nodeRequestsS) : `${run.nodeRequestsSeen}/${run.count}`}${verdict(run.nodeRequestsS, t.nodeRequestsS)}`;
  return [
    `ours: ${run.mode}, ${run.sku}`,
    String(run.count),
    nodeRequests,
    ready,
    `${n1(compared.total)}${verdict(compared.total, t.requestsPerWorkspace)}`,
    `${mib(run.rssIdleBytes).toFixed(0)} → ${mib(run.rssEndBytes).toFixed(0)} MiB (peak ${mib(run.rssPeakBytes).toFixed(0)})${verdict(mib(Math.max(run.rssEndBytes, run.rssPeakBytes)), TARGETS.rssMiB)}`,
    `${steadyWrites} in ${run.steadySeconds} s${verdict(steadyWrites, TARGETS.steadyWrites)}`,
    `${run.load.start.toFixed(2)} → ${run.load.end.toFixed(2)}`,
  ].join(' | ');
}

function referenceRow(run: RunResult): string | undefined {
  const ref = referenceFor(run);
  if (ref === undefined) return undefined;
  const ready = ref.readyAllS !== undefined ? `${s(ref.readyP50S)} / ${s(ref.readyAllS)}` : '–';
  return [`Kaito v0.12 (${run.mode === 'byo' ? 'BYO' : 'NodeClaim, no provisioner'})`, String(run.count), s(ref.nodeRequestsS), ready, n1(ref.requestsPerWorkspace), `${ref.rssIdleMiB} → ${ref.rssEndMiB} MiB`, `${ref.steadyWrites} in 60 s`, ''].join(' | ');
}

function targetRow(run: RunResult): string {
  const t = targetsFor(run);
  return [
    'target',
    String(run.count),
    t.nodeRequestsS !== undefined ? `≤ ${t.nodeRequestsS} s` : '',
    t.readyAllS !== undefined ? `all ≤ ${t.readyAllS} s` : '',
    `≤ ${t.requestsPerWorkspace}`,
    `≤ ${TARGETS.rssMiB} MiB`,
    `${TARGETS.steadyWrites}`,
    '',
  ].join(' | ');
}

/** The per-Workspace breakdown of one run: by verb, then the (verb, resource) cells. */
export function formatBreakdown(run: RunResult): string {
  const lines: string[] = [];
  const windows: [string, Counts | undefined][] = [
    ['T0 → all node requests exist', run.mode === 'nodeclaim' ? run.requestsToNodeRequests : undefined],
    [run.mode === 'nodeclaim-only' ? 'T0 → settled' : 'T0 → all Ready, settled', run.requests],
  ];
  for (const [window, counts] of windows) {
    if (counts === undefined) continue;
    const p = perWorkspace(counts, run.count);
    const verbs = VERBS.filter((v) => p.byVerb[v] !== 0).map((v) => `${v} ${p.byVerb[v].toFixed(2)}`);
    const cells = p.cells.map((c) => `${c.verb} ${c.resource} ${c.perWorkspace.toFixed(2)}`);
    lines.push(`  ${window}: ${p.total.toFixed(2)} requests/Workspace (${p.writes.toFixed(2)} writes): ${verbs.join(', ')}`, `    ${cells.join('; ')}`);
  }
  const stamps: [string, readonly number[] | undefined][] = [
    ['StatefulSets seen', run.statefulSetsS],
    ['pods Ready', run.podsReadyS],
    ['WorkspaceReady', run.readyS],
  ];
  const timeline = stamps.filter(([, xs]) => xs !== undefined && xs.length > 0).map(([what, xs]) => `${what} p50 ${s(median(xs ?? []))}, last ${s(Math.max(...(xs ?? [])))} (${xs?.length})`);
  if (run.statefulSetsS !== undefined || run.podsReadyS !== undefined) lines.push(`  from T0: ${timeline.join('; ')}`);
  if (run.cpuSeconds !== undefined) lines.push(`  controller CPU from T0 until still: ${run.cpuSeconds.toFixed(1)} s (${((run.cpuSeconds / run.count) * 1000).toFixed(0)} ms per Workspace)`);
  const steady = perWorkspace(run.steady, 1);
  if (steady.total > 0) lines.push(`  steady ${run.steadySeconds} s: ${steady.cells.map((c) => `${c.verb} ${c.resource} ${c.perWorkspace}`).join('; ')}`);
  if (run.incomplete !== undefined) lines.push(`  incomplete: ${run.incomplete}`);
  return lines.join('\n');
}

export interface WorkspacesReport {
  readonly node: string;
  readonly cpus: number;
  readonly controller: string;
  readonly runs: readonly RunResult[];
  readonly floors?: readonly FloorResult[];
}

/** The floor runs: the cluster alone from the burst of StatefulSets to every pod Ready, and the requests it took. */
export function formatFloors(floors: readonly FloorResult[]): string {
  if (floors.length === 0) return '';
  const header = ['run', 'StatefulSets', 'burst created', 'pods Ready p50 / all', 'BYO target (controller included)', 'load avg (1 min)'];
  const lines = ['', 'Cluster floor: the BYO StatefulSets and Services created by an admin at once, no controller running.', '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const f of floors) {
    const lat = readyLatencies(f.readyS, f.count);
    const all = lat.all !== undefined ? s(lat.all) : `${lat.ready}/${f.count} Ready`;
    lines.push(`| byo-floor, ${f.sku} | ${f.count} | ${s(f.createdS)} | ${s(lat.p50)} / ${all} | ${f.count === 200 ? `all ≤ ${TARGETS.byoReady200S} s` : ''} | ${f.load.start.toFixed(2)} → ${f.load.end.toFixed(2)} |`);
  }
  for (const f of floors) {
    lines.push('', `byo-floor ${f.count} × ${f.sku}: the API server's requests from T0 to the last pod Ready: ${f.requests.map((d) => `${d.what} ${d.requests}`).join(', ')}`);
    if (f.incomplete !== undefined) lines.push(`  incomplete: ${f.incomplete}`);
  }
  return lines.join('\n');
}

export function formatWorkspacesReport(r: WorkspacesReport): string {
  const header = ['run', 'Workspaces', 'all node requests exist', 'WorkspaceReady p50 / all', 'requests/WS', 'controller RSS idle → end', 'writes in steady state', 'load avg (1 min)'];
  const lines = [
    `node ${r.node}, ${r.cpus} CPUs; controller: ${r.controller}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const run of r.runs) {
    for (const row of [ourRow(run), referenceRow(run), targetRow(run)]) if (row !== undefined) lines.push(`| ${row} |`);
  }
  lines.push('', 'requests/WS compared: NodeClaim with the kwok provisioner, T0 → all node requests exist; without it, T0 → settled; BYO, T0 → all Ready, settled.');
  for (const run of r.runs) lines.push('', `${run.mode} ${run.count} × ${run.sku}:`, formatBreakdown(run));
  const floors = formatFloors(r.floors ?? []);
  if (floors !== '') lines.push(floors);
  return lines.join('\n');
}
