/** Formatting of benchmark results (pure, unit-tested). */
import type { CacheMemoryResult } from './cache-memory.js';

export const QUEUE_TARGET_KEYS_PER_SECOND = 20_000;
export const CACHE_TARGET_RATIO = 2;

export interface Report {
  node: string;
  platform: string;
  queue?: { keys: number; concurrency: number; runner: number[]; bare: number[] };
  cache?: CacheMemoryResult[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

export function formatReport(r: Report): string {
  const lines = [`node ${r.node} on ${r.platform}`];
  if (r.queue) {
    const q = r.queue;
    const med = median(q.runner);
    lines.push(
      '',
      `queue throughput (${int(q.keys)} distinct keys, concurrency ${q.concurrency}, ${q.runner.length} rounds)`,
      `  controller runner, no-op reconcile: median ${int(med)} keys/s, best ${int(Math.max(...q.runner))} keys/s` +
        `  → ${(med / QUEUE_TARGET_KEYS_PER_SECOND).toFixed(1)}× the ${int(QUEUE_TARGET_KEYS_PER_SECOND)} keys/s target`,
      `  bare work queue (add/get/done):     median ${int(median(q.bare))} keys/s, best ${int(Math.max(...q.bare))} keys/s`,
    );
  }
  for (const c of r.cache ?? []) {
    const ratio = c.heapBytes / c.servedJsonBytes;
    lines.push(
      '',
      `informer cache, ${int(c.objects)} Pods, managedFields ${c.stripManagedFields ? 'stripped (default)' : 'kept'}`,
      `  JSON as served ${mib(c.servedJsonBytes)}, as cached ${mib(c.cachedJsonBytes)}; heap ${mib(c.heapBytes)}`,
      `  heap / served JSON = ${ratio.toFixed(2)}× (target ≤ ${CACHE_TARGET_RATIO}×)` +
        `; heap / cached JSON = ${(c.heapBytes / c.cachedJsonBytes).toFixed(2)}×`,
    );
  }
  return lines.join('\n');
}
