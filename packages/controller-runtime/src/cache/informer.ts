/**
 * An informer: a reflector loop that keeps a `Store` equal to the API server's view of one
 * resource, and notifies handlers of each change.
 *
 * The loop (written here rather than using client-node's informer, whose ListWatch can stop on
 * errors and mishandles resourceVersions):
 *
 *     list (paged, consistent read) → replace store (diff → add/update/delete)
 *       → watch from the list's resourceVersion, bookmarks on
 *           event      → apply, remember its resourceVersion
 *           stream end → watch again from the last resourceVersion (nothing missed)
 *           410 Gone   → list again (deletions missed meanwhile come out of the diff)
 *           other error→ back off (jittered, capped) and watch again from the last resourceVersion
 *
 * So an API-server restart or a network error costs at most a relist; no update is lost.
 */
import { DecodeError, decodeOrThrow } from '@kaito-ts/core';
import { type Clock, jittered, realClock, sleep, type TimerHandle } from '../clock.js';
import { keyOf, type KubeObject, objectKey } from '../api/object.js';
import { resourceId, type ResourceType } from '../api/resource.js';
import { describeError, isGone, WatchError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ListWatchSource, RawWatchEvent } from './list-watch.js';
import { type Delta, type IndexFunc, Store } from './store.js';

/** Handlers get the cached objects themselves, frozen: copy (`structuredClone`) before changing one. */
export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** Called with the last known state of the object. */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  readonly resource: ResourceType<T>;
  readonly source: ListWatchSource;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Re-deliver every cached object as an update this often (0: never). Default 0. */
  readonly resyncPeriodMs?: number;
  /** Applied to each decoded object before it is cached. Default: drop `metadata.managedFields`. */
  readonly transform?: (obj: T) => T;
  readonly indexers?: Record<string, IndexFunc<T>>;
  /** List page size. Default 500. */
  readonly pageSize?: number;
  /** Backoff after a failed list or watch: first delay and cap. Default 800 ms → 30 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Server-side watch timeout, picked per watch. Default 5–10 min, random. */
  readonly watchTimeoutSeconds?: () => number;
  readonly random?: () => number;
}

/** Drops `metadata.managedFields` (controllers never read it; it is often half an object's size). */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as { managedFields?: unknown };
  // Assigning undefined keeps the object's shape (delete would turn it into a slow dictionary).
  if (meta.managedFields !== undefined) meta.managedFields = undefined;
  return obj;
}

type State = 'new' | 'running' | 'stopped';

export class Informer<T extends KubeObject> {
  readonly resource: ResourceType<T>;
  readonly id: string;
  readonly #store: Store<T>;
  readonly #source: ListWatchSource;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #metrics: Metrics | undefined;
  readonly #decode: (value: unknown) => T;
  readonly #transform: (obj: T) => T;
  readonly #resyncPeriodMs: number;
  readonly #pageSize: number;
  readonly #backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly #watchTimeoutSeconds: () => number;
  readonly #random: () => number;

  readonly #handlers = new Set<EventHandler<T>>();
  #state: State = 'new';
  readonly #abort = new AbortController();
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];
  #lastResourceVersion = '';
  #resyncTimer: TimerHandle | undefined;
  /** Events (bookmarks included) the current or last watch received, also when it then failed. */
  #watchReceived = 0;
  #loop: Promise<void> | undefined;

  constructor(options: InformerOptions<T>) {
    this.resource = options.resource;
    this.id = resourceId(options.resource);
    this.#store = new Store<T>(options.indexers);
    this.#source = options.source;
    this.#log = options.logger.child({ informer: this.id });
    this.#clock = options.clock ?? realClock;
    this.#metrics = options.metrics;
    this.#decode = (raw) => decodeOrThrow(options.resource.codec, raw, this.id);
    this.#transform = options.transform ?? stripManagedFields;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.#pageSize = options.pageSize ?? 500;
    this.#backoff = options.backoff ?? { initialMs: 800, maxMs: 30_000 };
    this.#random = options.random ?? Math.random;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? (() => Math.floor(300 * (1 + this.#random())));
    this.#metrics?.watchCache(this.id, this.#store);
  }

  /**
   * Register a handler. If the cache has already synced, the handler first gets an `onAdd` for
   * every cached object, so late registrations see the same world as early ones. Returns a remover.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.#handlers.add(handler);
    if (this.#synced && handler.onAdd) for (const obj of this.#store.list()) this.#call(() => handler.onAdd?.(obj));
    return () => this.#handlers.delete(handler);
  }

  /** Add an index; only before `start`. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.#state !== 'new') throw new Error(`informer ${this.id}: add indexers before start`);
    this.#store.addIndexer(name, fn);
  }

  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    this.#loop = this.#run().catch((err: unknown) => {
      // #run only ends by stop(); anything else is a bug worth seeing.
      if (!this.#abort.signal.aborted) this.#log.error('informer stopped unexpectedly', { err });
    });
  }

  /** Stop watching; resolves when the loop has ended. The cache keeps its last contents. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#abort.abort(new Error('informer stopped'));
    if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
    await this.#loop;
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list is in the cache; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** The resourceVersion the cache is up to date with. */
  get lastSyncResourceVersion(): string {
    return this.#lastResourceVersion;
  }

  get size(): number {
    return this.#store.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#store.get(objectKey(namespace, name));
  }

  getByKey(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(namespace?: string): T[] {
    return this.#store.list(namespace);
  }

  byIndex(index: string, value: string): T[] {
    return this.#store.byIndex(index, value);
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let needList = true;
    let failures = 0;
    let consecutiveGone = 0;
    while (!signal.aborted) {
      let watchStarted = false;
      try {
        if (needList) {
          await this.#listAndReplace(signal);
          needList = false;
        }
        const started = this.#clock.now();
        watchStarted = true;
        const delivered = await this.#watch(signal);
        consecutiveGone = 0;
        if (delivered > 0 || this.#clock.now() - started >= 1000) {
          failures = 0;
          continue;
        }
        // An empty watch the server closed at once (an API server going down does this): do not
        // spin; wait as after a failure.
        await sleep(this.#clock, this.#retryDelay(failures++), signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          this.#metrics?.informerWatchErrors.inc({ resource: this.id, reason: 'gone' });
          this.#log.info('resource version expired, relisting', { resourceVersion: this.#lastResourceVersion });
          needList = true;
          // A relist is the normal answer to 410; only a run of them suggests something worse.
          if (++consecutiveGone <= 2) continue;
        } else {
          this.#metrics?.informerWatchErrors.inc({ resource: this.id, reason: reasonOf(err) });
        }
        // A watch that worked before it broke ends the run of failures, as a clean end does:
        // otherwise every later reconnect would wait the delay an earlier outage built up.
        if (watchStarted && this.#watchReceived > 0) failures = 0;
        const wait = this.#retryDelay(failures++);
        this.#log.warn(needList ? 'list failed, retrying' : 'watch failed, retrying', {
          error: describeError(err),
          retryInMs: Math.round(wait),
        });
        try {
          await sleep(this.#clock, wait, signal);
        } catch {
          return;
        }
      }
    }
  }

  #retryDelay(failures: number): number {
    return jittered(Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** failures), 0.5, this.#random);
  }

  async #listAndReplace(signal: AbortSignal): Promise<void> {
    this.#metrics?.informerLists.inc({ resource: this.id });
    const items: T[] = [];
    const keep = new Set<string>();
    let resourceVersion = '';
    let cont: string | undefined;
    do {
      const page = await this.#source.list({
        limit: this.#pageSize,
        ...(cont !== undefined ? { continue: cont } : {}),
        signal,
      });
      for (const raw of page.items) {
        const obj = this.#decodeItem(raw);
        if (obj !== undefined) items.push(obj);
        else {
          const key = rawKey(raw);
          if (key !== undefined) keep.add(key);
        }
      }
      resourceVersion = page.resourceVersion;
      cont = page.continue || undefined;
    } while (cont !== undefined);
    if (signal.aborted) return;
    const deltas = this.#store.replace(items, keep);
    this.#lastResourceVersion = resourceVersion;
    this.#log.debug('listed', { objects: items.length, changes: deltas.length, resourceVersion });
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
      this.#scheduleResync();
    }
    for (const d of deltas) this.#dispatch(d);
  }

  /** Runs one watch; returns how many events it delivered. */
  async #watch(signal: AbortSignal): Promise<number> {
    this.#metrics?.informerWatches.inc({ resource: this.id });
    this.#watchReceived = 0;
    let delivered = 0;
    let failure: unknown;
    const watchAbort = new AbortController();
    const onStop = (): void => watchAbort.abort(signal.reason);
    if (signal.aborted) return 0; // stopped between the list and here: a listener would never fire
    signal.addEventListener('abort', onStop, { once: true });
    try {
      await this.#source.watch(
        {
          resourceVersion: this.#lastResourceVersion,
          timeoutSeconds: this.#watchTimeoutSeconds(),
          allowWatchBookmarks: true,
          signal: watchAbort.signal,
        },
        (event) => {
          if (failure !== undefined || signal.aborted) return;
          try {
            if (this.#apply(event)) delivered++;
            this.#watchReceived++;
          } catch (err) {
            // An ERROR event (410 and others): stop this watch and let the loop decide.
            failure = err;
            watchAbort.abort(err);
          }
        },
      );
    } catch (err) {
      if (failure === undefined) throw err;
    } finally {
      signal.removeEventListener('abort', onStop);
    }
    if (failure !== undefined) throw failure;
    return delivered;
  }

  /** Applies one watch event to the store; returns whether it was an object change. */
  #apply(event: RawWatchEvent): boolean {
    switch (event.type) {
      case 'BOOKMARK': {
        const rv = rawResourceVersion(event.object);
        if (rv !== undefined) this.#lastResourceVersion = rv;
        return false;
      }
      case 'ERROR':
        throw statusError(event.object);
      case 'ADDED':
      case 'MODIFIED': {
        const rv = rawResourceVersion(event.object);
        const obj = this.#decodeItem(event.object);
        if (rv !== undefined) this.#lastResourceVersion = rv;
        if (obj === undefined) return false;
        const old = this.#store.upsert(obj);
        this.#dispatch(old === undefined ? { type: 'add', obj } : { type: 'update', obj, old });
        return true;
      }
      case 'DELETED': {
        const rv = rawResourceVersion(event.object);
        if (rv !== undefined) this.#lastResourceVersion = rv;
        const key = rawKey(event.object);
        if (key === undefined) return false;
        const old = this.#store.delete(key);
        if (old !== undefined) this.#dispatch({ type: 'delete', obj: old });
        return true;
      }
      default:
        this.#log.warn('ignored unknown watch event', { type: event.type });
        return false;
    }
  }

  #decodeItem(raw: unknown): T | undefined {
    if (typeof raw === 'object' && raw !== null) {
      // List items come without apiVersion/kind; watch events carry them. Keep objects uniform.
      const o = raw as { apiVersion?: unknown; kind?: unknown };
      if (o.apiVersion === undefined) o.apiVersion = this.resource.apiVersion;
      if (o.kind === undefined) o.kind = this.resource.kind;
    }
    try {
      // Frozen: every reader and handler gets the cached object itself, so a reconcile that changed
      // it (to build a new status, say) would corrupt the cache and make the change look written.
      return deepFreeze(this.#transform(this.#decode(raw)));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.#metrics?.informerDecodeErrors.inc({ resource: this.id });
      this.#log.error('dropped object that does not match its codec', { object: rawKey(raw), error: err.message });
      return undefined;
    }
  }

  #dispatch(delta: Delta<T>): void {
    for (const h of this.#handlers) {
      switch (delta.type) {
        case 'add':
          if (h.onAdd) this.#call(() => h.onAdd?.(delta.obj));
          break;
        case 'update':
          if (h.onUpdate) this.#call(() => h.onUpdate?.(delta.old as T, delta.obj));
          break;
        case 'delete':
          if (h.onDelete) this.#call(() => h.onDelete?.(delta.obj));
          break;
      }
    }
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error('event handler failed', { err });
    }
  }

  #scheduleResync(): void {
    if (this.#resyncPeriodMs <= 0 || this.#state === 'stopped') return;
    this.#resyncTimer = this.#clock.setTimeout(() => {
      for (const obj of this.#store.list()) this.#dispatch({ type: 'update', obj, old: obj });
      this.#scheduleResync();
    }, this.#resyncPeriodMs);
  }
}

/** Freezes `v` and everything it holds (decoded JSON: no cycles). */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

function rawResourceVersion(raw: unknown): string | undefined {
  const rv = (raw as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

function rawKey(raw: unknown): string | undefined {
  const meta = (raw as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  if (typeof meta?.name !== 'string') return undefined;
  return keyOf({ metadata: { name: meta.name, namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined } });
}

function statusError(raw: unknown): WatchError {
  const s = (raw ?? {}) as { code?: unknown; reason?: unknown; message?: unknown };
  const code = typeof s.code === 'number' ? s.code : 500;
  const reason = typeof s.reason === 'string' ? s.reason : undefined;
  const message = typeof s.message === 'string' ? s.message : 'watch error event';
  return new WatchError(message, code, reason);
}

function reasonOf(err: unknown): string {
  if (err instanceof WatchError) return String(err.status);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? String(code) : typeof code === 'string' ? code.toLowerCase() : 'unknown';
}
