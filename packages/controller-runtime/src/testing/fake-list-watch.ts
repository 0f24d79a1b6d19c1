import { ApiException } from '@kubernetes/client-node';
import type { ListOptions, ListPage, ListWatchSource, RawWatchEvent, WatchOptions } from '../cache/list-watch.js';
import { keyOf, type KubeObject } from '../api/object.js';
import { TransportError } from '../errors.js';

interface HistoryEntry {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}

interface OpenWatch {
  readonly onEvent: (e: RawWatchEvent) => void;
  readonly end: (err?: unknown) => void;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

export const goneError = (message = 'too old resource version'): ApiException<unknown> =>
  new ApiException(410, 'Gone', status(410, 'Expired', message), {});

/**
 * A list/watch source that behaves like one resource of the API server: every write bumps a
 * global resourceVersion and is kept in a history that watches replay from their resourceVersion;
 * `compact()` forgets history (older watches then get 410 Gone), `dropWatches()` breaks streams as
 * a restarting API server would, and one-shot errors can be injected into the next list or watch.
 * Objects are deep-copied in and out, as over the wire.
 */
export class FakeListWatch implements ListWatchSource {
  #rv = 1;
  #compactedRV = 0;
  readonly #objects = new Map<string, KubeObject>();
  #history: HistoryEntry[] = [];
  readonly #watches = new Set<OpenWatch>();
  /** Paged lists: every page of one list serves the snapshot of its first page, as the API server does. */
  readonly #snapshots = new Map<string, { readonly resourceVersion: string; readonly items: readonly KubeObject[] }>();

  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: WatchOptions[] = [];
  /** Thrown by the next `list` call, then cleared. */
  nextListError: unknown;
  /** Thrown by the next `watch` call, then cleared. */
  nextWatchError: unknown;
  /** How a too-old watch is refused: an HTTP 410 (`status`) or a 200 with an ERROR event (`event`, the API server's usual way). */
  goneAs: 'status' | 'event' = 'event';

  constructor(initial: readonly KubeObject[] = []) {
    for (const obj of initial) this.create(obj);
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  create(obj: KubeObject): KubeObject {
    const key = keyOf(obj);
    if (this.#objects.has(key)) throw new ApiException(409, 'Conflict', status(409, 'AlreadyExists', `${key} already exists`), {});
    return this.#write('ADDED', obj);
  }

  update(obj: KubeObject): KubeObject {
    const key = keyOf(obj);
    if (!this.#objects.has(key)) throw new ApiException(404, 'Not Found', status(404, 'NotFound', `${key} not found`), {});
    return this.#write('MODIFIED', obj);
  }

  /** Create or update. */
  upsert(obj: KubeObject): KubeObject {
    return this.#objects.has(keyOf(obj)) ? this.update(obj) : this.create(obj);
  }

  delete(key: string): void {
    const old = this.#objects.get(key);
    if (old === undefined) throw new ApiException(404, 'Not Found', status(404, 'NotFound', `${key} not found`), {});
    this.#objects.delete(key);
    const rv = ++this.#rv;
    const object = { ...clone(old), metadata: { ...old.metadata, resourceVersion: String(rv) } };
    this.#record({ rv, type: 'DELETED', object });
  }

  get(key: string): KubeObject | undefined {
    const obj = this.#objects.get(key);
    return obj === undefined ? undefined : clone(obj);
  }

  /** Forget the history up to now: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.#compactedRV = this.#rv;
    this.#history = [];
  }

  /** Send a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    const object = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: this.resourceVersion } };
    for (const w of this.#watches) w.onEvent({ type: 'BOOKMARK', object });
  }

  /** Send an ERROR event to every open watch (the server's way to say 410 mid-stream). */
  expireWatches(): void {
    for (const w of this.#watches) w.onEvent({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') });
  }

  /** End every open watch cleanly, as the server does when a watch times out. */
  closeWatches(): void {
    for (const w of [...this.#watches]) w.end();
  }

  /** Break every open watch with a transport error, as an API-server restart does. */
  dropWatches(): void {
    for (const w of [...this.#watches]) w.end(new TransportError('connection reset', { cause: new Error('ECONNRESET') }));
  }

  async list(options: ListOptions): Promise<ListPage> {
    this.listCalls.push(options);
    await Promise.resolve();
    if (this.nextListError !== undefined) {
      const err = this.nextListError;
      this.nextListError = undefined;
      throw err;
    }
    const snapshotKey = options.continue?.split(':')[0];
    const snapshot =
      snapshotKey !== undefined ? this.#snapshots.get(snapshotKey) : { resourceVersion: this.resourceVersion, items: [...this.#objects.values()].map(clone) };
    if (snapshot === undefined) throw new Error(`fake list-watch: unknown continue token ${options.continue ?? ''}`);
    const all = snapshot.items;
    const start = options.continue !== undefined ? Number(options.continue.split(':')[1]) : 0;
    const end = options.limit !== undefined ? start + options.limit : all.length;
    let next: string | undefined;
    if (end < all.length) {
      const key = snapshotKey ?? `s${this.#snapshots.size + 1}`;
      this.#snapshots.set(key, snapshot);
      next = `${key}:${end}`;
    }
    return { items: all.slice(start, end).map(clone), resourceVersion: snapshot.resourceVersion, continue: next };
  }

  watch(options: WatchOptions, onEvent: (event: RawWatchEvent) => void): Promise<void> {
    this.watchCalls.push(options);
    if (this.nextWatchError !== undefined) {
      const err = this.nextWatchError;
      this.nextWatchError = undefined;
      return Promise.reject(err);
    }
    const from = Number(options.resourceVersion || '0');
    if (from < this.#compactedRV) {
      if (this.goneAs === 'status') return Promise.reject(goneError());
      onEvent({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.#compactedRV})`) });
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const watch: OpenWatch = {
        onEvent,
        end: (err) => {
          this.#watches.delete(watch);
          options.signal.removeEventListener('abort', onAbort);
          if (err === undefined) resolve();
          else reject(err);
        },
      };
      const onAbort = (): void => watch.end();
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.#watches.add(watch);
      for (const h of this.#history) if (h.rv > from) onEvent({ type: h.type, object: clone(h.object) });
    });
  }

  #write(type: 'ADDED' | 'MODIFIED', obj: KubeObject): KubeObject {
    const rv = ++this.#rv;
    const stored = clone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(rv) };
    if (stored.metadata.uid === undefined) stored.metadata.uid = `uid-${keyOf(obj)}`;
    this.#objects.set(keyOf(obj), stored);
    this.#record({ rv, type, object: stored });
    return clone(stored);
  }

  #record(entry: HistoryEntry): void {
    this.#history.push(entry);
    for (const w of this.#watches) w.onEvent({ type: entry.type, object: clone(entry.object) });
  }
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
