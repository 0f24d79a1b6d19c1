/**
 * Informer-cache memory: N objects listed through the real `Informer` (decode with the resource
 * codec, transform, store, namespace index), parsed from JSON pages as the transport parses the
 * API server's answers. Heap growth is measured after full garbage collections, with the page
 * texts already released, and compared with the objects' JSON size.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Writable } from 'node:stream';
import {
  createLogger,
  defineResource,
  Informer,
  type KubeObject,
  type ListPage,
  type ListWatchSource,
  stripManagedFields,
} from '@kaito-ts/controller-runtime';
import { podFixture } from './pod-fixture.js';

export interface CacheMemoryResult {
  readonly objects: number;
  /** UTF-8 bytes of the objects as the API server serves them (JSON, with managedFields). */
  readonly servedJsonBytes: number;
  /** UTF-8 bytes of the objects as cached (JSON of what the store keeps). */
  readonly cachedJsonBytes: number;
  readonly heapBytes: number;
  readonly stripManagedFields: boolean;
}

let gcFn: (() => void) | undefined;

/** A full GC. Node's --expose-gc, enabled at run time so `tsx cli.ts` needs no flags. */
export function fullGc(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g !== undefined) gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  for (let i = 0; i < 4; i++) gcFn();
}

/**
 * Serves the list as JSON pages rendered on demand and parsed as the HTTP transport parses the API
 * server's answers, so that nothing but the cache outlives a page.
 */
class JsonPagesSource implements ListWatchSource {
  servedJsonBytes = 0;
  constructor(
    private readonly objects: number,
    private readonly pageSize: number,
  ) {}
  async list(options: { continue?: string }): Promise<ListPage> {
    const start = options.continue === undefined ? 0 : Number(options.continue);
    const end = Math.min(this.objects, start + this.pageSize);
    const items = [];
    for (let i = start; i < end; i++) {
      const pod = podFixture(i);
      this.servedJsonBytes += Buffer.byteLength(JSON.stringify(pod));
      items.push(pod);
    }
    const text = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '200000' }, items });
    const page = JSON.parse(text) as { items: unknown[]; metadata: { resourceVersion: string } };
    return { items: page.items, resourceVersion: page.metadata.resourceVersion, continue: end < this.objects ? String(end) : undefined };
  }
  watch(options: { signal: AbortSignal }): Promise<void> {
    return new Promise((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

export async function cacheMemory(objects: number, strip: boolean): Promise<CacheMemoryResult> {
  const pageSize = 500;
  const logger = createLogger({ level: 'error', format: 'json', stream: new Writable({ write: (_c, _e, d) => d() }) });
  const Pods = defineResource({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true });
  const source = new JsonPagesSource(objects, pageSize);
  const informer = new Informer<KubeObject>({
    resource: Pods,
    source,
    logger,
    pageSize,
    transform: strip ? stripManagedFields : (o) => o,
  });
  fullGc();
  const baseline = process.memoryUsage().heapUsed;
  informer.start();
  await informer.waitForSync();
  fullGc();
  const heapBytes = process.memoryUsage().heapUsed - baseline;
  let cachedJsonBytes = 0;
  for (const o of informer.list()) cachedJsonBytes += Buffer.byteLength(JSON.stringify(o));
  await informer.stop();
  return { objects: informer.size, servedJsonBytes: source.servedJsonBytes, cachedJsonBytes, heapBytes, stripManagedFields: strip };
}
