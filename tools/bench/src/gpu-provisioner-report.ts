/**
 * The gpu-provisioner benchmark's numbers (pure, unit-tested): the ARM simulator's request
 * counters grouped by kind and divided by the number of claims, latency percentiles, and the
 * report printed next to what the reference's polling implies.
 */

/** The simulator's counters: `"<METHOD> <route> <status>" → count` (its `/admin/counters`). */
export type ArmCounters = Readonly<Record<string, number>>;

/** What a counter key is, in words: `PUT agentPool`, `LIST agentPools (page)`, `POST Entra token`. */
export function armRequestKind(key: string): string {
  const [method = '', route = ''] = key.split(' ');
  if (route.endsWith('/oauth2/v2.0/token')) return `${method} Entra token`;
  if (route.includes('/.well-known/') || route.includes('/discovery/')) return `${method} Entra metadata`;
  if (/\/(operations|operationresults)\/\{operationId\}$/.test(route)) return `${method} operation status`;
  if (route.endsWith('/agentPools/{agentPoolName}')) return `${method} agentPool`;
  if (route.endsWith('/agentPools')) return method === 'GET' ? 'LIST agentPools (page)' : `${method} agentPools`;
  if (route.endsWith('/managedClusters/{resourceName}')) return `${method} managedCluster`;
  return `${method} ${route}`;
}

/** Counters summed by kind, with the failed (status ≥ 400) ones counted apart. */
export function requestsByKind(counters: ArmCounters): Map<string, { total: number; failed: number }> {
  const out = new Map<string, { total: number; failed: number }>();
  for (const [key, n] of Object.entries(counters)) {
    const kind = armRequestKind(key);
    const status = Number(key.split(' ')[2]);
    const entry = out.get(kind) ?? { total: 0, failed: 0 };
    entry.total += n;
    if (status >= 400) entry.failed += n;
    out.set(kind, entry);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** Nearest-rank percentile (p in 0–100) of the values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export interface GpuProvisionerBenchReport {
  readonly claims: number;
  readonly concurrency: number;
  readonly createDelayMs: number;
  readonly deleteDelayMs: number;
  readonly pollIntervalMs: number;
  /** Counters from claims created to all Ready, and from deleted to all gone. */
  readonly createCounters: ArmCounters;
  readonly deleteCounters: ArmCounters;
  /** Per claim: ms from its Node observed Ready to the claim observed Initialized. */
  readonly nodeReadyToInitializedMs: readonly number[];
  /** Per claim: ms from the claim's creation to Initialized. */
  readonly createToInitializedMs: readonly number[];
  readonly allReadyMs: number;
  readonly allGoneMs: number;
}

const s = (ms: number): string => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
const perClaim = (n: number, claims: number): string => (n / claims).toFixed(2);

function countersTable(title: string, counters: ArmCounters, claims: number): string[] {
  const kinds = requestsByKind(counters);
  const total = [...kinds.values()].reduce((a, k) => a + k.total, 0);
  const lines = [title, '  | request | total | per claim | failed |', '  |---|---|---|---|'];
  for (const [kind, k] of kinds) lines.push(`  | ${kind} | ${k.total} | ${perClaim(k.total, claims)} | ${k.failed} |`);
  lines.push(`  | **all** | ${total} | ${perClaim(total, claims)} | ${[...kinds.values()].reduce((a, k) => a + k.failed, 0)} |`);
  return lines;
}

/** The report, with the reference's figures for the same create and delete times beside ours. */
export function formatGpuProvisionerReport(r: GpuProvisionerBenchReport): string {
  const both: Record<string, number> = { ...r.createCounters };
  for (const [k, v] of Object.entries(r.deleteCounters)) both[k] = (both[k] ?? 0) + v;
  const lifecycle = Object.values(both).reduce((a, b) => a + b, 0);
  const lat = r.nodeReadyToInitializedMs;
  // The reference blocks on the LRO, polled every 30 s (azcore's default), then waits for the Node with 30 × 1 s lists.
  const refPolls = (ms: number): number => Math.max(1, Math.ceil(ms / 30_000));
  const refCreate = 1 + refPolls(r.createDelayMs);
  const refDelete = 2 + refPolls(r.deleteDelayMs);
  return [
    `gpu-provisioner: ${r.claims} claims at once (concurrency ${r.concurrency}), ARM simulator create ${s(r.createDelayMs)}, delete ${s(r.deleteDelayMs)}; timings observed every ${r.pollIntervalMs} ms`,
    '',
    ...countersTable(`ARM requests, create → all ${r.claims} Ready (${s(r.allReadyMs)})`, r.createCounters, r.claims),
    '',
    ...countersTable(`ARM requests, delete → all gone (${s(r.allGoneMs)})`, r.deleteCounters, r.claims),
    '',
    `ARM requests per claim lifecycle (create → Ready → delete): ${perClaim(lifecycle, r.claims)}`,
    `Node Ready → claim Initialized: p50 ${s(percentile(lat, 50))}, p95 ${s(percentile(lat, 95))}, max ${s(Math.max(...lat))}`,
    `claim created → Initialized:    p50 ${s(percentile(r.createToInitializedMs, 50))}, p95 ${s(percentile(r.createToInitializedMs, 95))}, max ${s(Math.max(...r.createToInitializedMs))}`,
    '',
    'reference (gpu-provisioner v0.4): create blocks on the LRO, polled every 30 s, then waits for the Node with 30 × 1 s lists;',
    `  so with these times: ≥ 30 s from PUT to Launched, Node Ready → Initialized anywhere in 0–30 s (until the next poll),`,
    `  and ≈ ${refCreate} ARM requests per create (PUT + ${refCreate - 1} status poll${refCreate - 1 === 1 ? '' : 's'}) + ${refDelete} per delete (GET, DELETE, ${refDelete - 2} poll${refDelete - 2 === 1 ? '' : 's'}) = ≈ ${refCreate + refDelete} per lifecycle,`,
    '  each poll holding a worker for the whole operation (no deadline); token requests and GC lists (every 2 min) come on top.',
  ].join('\n');
}
