import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ApiException } from '@kubernetes/client-node';
import type { KubeObject } from '../api/object.js';
import { type ResourceType, Resources } from '../api/resource.js';
import type { RestRequest, Transport } from '../client/rest-client.js';
import type { Clock } from '../clock.js';
import { TransportError } from '../errors.js';

export interface FakeResource {
  readonly resource: ResourceType;
  /** Whether status is a subresource (writes to the object ignore status; /status writes only status). */
  readonly status: boolean;
  /** Whether a create keeps the status it carries, as the real API server does for Nodes. */
  readonly statusOnCreate?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

interface Collection {
  readonly resource: ResourceType;
  readonly status: boolean;
  readonly statusOnCreate: boolean;
  readonly objects: Map<string, KubeObject>;
}

interface HistoryEntry {
  readonly rv: number;
  readonly collection: Collection;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}

interface OpenWatch {
  readonly collection: Collection;
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly onEvent: (e: unknown) => void;
  readonly end: (err?: unknown) => void;
}

interface Injected {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly error: unknown;
}

const WITH_STATUS = new Set(['Pod', 'Node', 'Service', 'StatefulSet', 'Deployment', 'Job', 'Workspace', 'NodeClaim', 'Machine']);
/** Kinds whose create keeps status (the node registry: "Nodes allow *all* fields, including status, to be set on create"). */
const STATUS_ON_CREATE = new Set(['Node']);

const statusBody = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});

export const apiError = (code: number, reason: string, message: string): ApiException<unknown> =>
  new ApiException(code, message, statusBody(code, reason, message), {});

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 merge: objects merged key by key, `null` deletes, everything else replaces. */
function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/**
 * An in-memory API server behind the `Transport` interface, for unit tests of everything that
 * talks to Kubernetes (typed client, leases, events, managers, controllers). It keeps objects per
 * resource with a global resourceVersion, enforces optimistic concurrency (stale resourceVersion →
 * 409), AlreadyExists/NotFound, the status subresource, finalizers (delete only sets
 * deletionTimestamp while any remain), skips no-op writes as the real server does, and streams
 * watches from a history (compaction → 410). Server-side apply is approximated by a merge patch
 * that creates missing objects (no field ownership). Every request is recorded; one-shot errors
 * can be injected by method and path.
 */
export class FakeApiServer implements Transport {
  readonly requests: RecordedRequest[] = [];
  readonly #collections = new Map<string, Collection>();
  readonly #byKind = new Map<string, Collection>();
  #rv = 100;
  #compactedRV = 0;
  #history: HistoryEntry[] = [];
  readonly #watches = new Set<OpenWatch>();
  #injected: Injected[] = [];
  /** While set (delayWatchEvents), new watch events queue here instead of being sent. */
  #delayed: [OpenWatch, HistoryEntry][] | undefined;
  readonly #clock: Clock | undefined;
  /** When true, every request fails with a transport error (an unreachable API server). */
  down = false;

  constructor(options: { resources?: readonly FakeResource[]; clock?: Clock } = {}) {
    this.#clock = options.clock;
    for (const r of Object.values(Resources)) this.register({ resource: r, status: WITH_STATUS.has(r.kind), statusOnCreate: STATUS_ON_CREATE.has(r.kind) });
    for (const r of options.resources ?? []) this.register(r);
  }

  register(r: FakeResource): void {
    const group = r.resource.apiVersion.includes('/') ? `/apis/${r.resource.apiVersion}` : `/api/${r.resource.apiVersion}`;
    const c: Collection = { resource: r.resource, status: r.status, statusOnCreate: r.statusOnCreate ?? false, objects: new Map() };
    this.#collections.set(`${group}/${r.resource.plural}`, c);
    this.#byKind.set(`${r.resource.apiVersion}/${r.resource.kind}`, c);
  }

  /** Fail the next request matching `method` and a path containing `path` with `error`. */
  failNext(match: { method?: string; path?: string }, error: unknown): void {
    this.#injected.push({ method: match.method, path: match.path, error });
  }

  /** Requests that change state (everything but GET). */
  writes(filter: { method?: string; path?: string } = {}): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method !== 'GET' && (filter.method === undefined || r.method === filter.method) && (filter.path === undefined || r.path.includes(filter.path)),
    );
  }

  /** The stored object (a copy), or undefined. */
  get<T = KubeObject>(resource: Pick<ResourceType, 'apiVersion' | 'kind'>, name: string, namespace?: string): T | undefined {
    const obj = this.#collection(resource).objects.get(this.#key(namespace, name));
    return obj === undefined ? undefined : (clone(obj) as T);
  }

  list<T = KubeObject>(resource: Pick<ResourceType, 'apiVersion' | 'kind'>): T[] {
    return [...this.#collection(resource).objects.values()].map((o) => clone(o) as T);
  }

  /** Store an object directly (test setup), as a create would but keeping its status; returns the stored copy. */
  seed<T extends KubeObject>(obj: T): T {
    const c = this.#collection({ apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '' });
    return clone(this.#create(c, clone(obj), { keepStatus: true })) as T;
  }

  /** Forget watch history: watches from an older resourceVersion get 410. */
  compact(): void {
    this.#compactedRV = this.#rv;
    this.#history = [];
  }

  /**
   * Hold back watch events (they queue, in order) until the returned function is called: a
   * watch that lags behind the writes, so a test can reconcile on a cache that has not yet seen
   * the last write, as happens against a busy API server. Release before the test ends: the
   * watches see nothing until then.
   */
  delayWatchEvents(): () => void {
    const queued: [OpenWatch, HistoryEntry][] = [];
    this.#delayed = queued;
    return () => {
      if (this.#delayed === queued) this.#delayed = undefined;
      for (const [w, h] of queued) if (this.#watches.has(w)) this.#send(w, h);
    };
  }

  /** Break every open watch as a restarting API server would. */
  dropWatches(): void {
    for (const w of [...this.#watches]) w.end(new TransportError('connection reset'));
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  async request<T = unknown>(req: RestRequest): Promise<T> {
    this.requests.push({ method: req.method, path: req.path, query: req.query ?? {}, contentType: req.contentType, body: clone(req.body) });
    await Promise.resolve();
    this.#maybeFail(req);
    return this.#handle(req) as T;
  }

  watch(req: RestRequest & { readonly idleTimeoutMs: number }, onEvent: (event: unknown) => void): Promise<void> {
    this.requests.push({ method: 'WATCH', path: req.path, query: req.query ?? {}, contentType: undefined, body: undefined });
    try {
      this.#maybeFail(req);
    } catch (err) {
      return Promise.reject(err);
    }
    const { collection, namespace } = this.#route(req.path);
    const from = Number(req.query?.['resourceVersion'] ?? 0);
    const labelSelector = req.query?.['labelSelector'] as string | undefined;
    if (from < this.#compactedRV) {
      onEvent({ type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${from}`) });
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w: OpenWatch = {
        collection,
        namespace,
        labelSelector,
        onEvent,
        end: (err) => {
          this.#watches.delete(w);
          req.signal?.removeEventListener('abort', onAbort);
          if (err === undefined) resolve();
          else reject(err);
        },
      };
      const onAbort = (): void => w.end();
      if (req.signal?.aborted) return resolve();
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.#watches.add(w);
      for (const h of this.#history) if (h.rv > from) this.#send(w, h);
    });
  }

  #maybeFail(req: RestRequest): void {
    if (this.down) throw new TransportError(`${req.method} ${req.path}: connect ECONNREFUSED`);
    const i = this.#injected.findIndex((x) => (x.method === undefined || x.method === req.method) && (x.path === undefined || req.path.includes(x.path)));
    if (i >= 0) {
      const [hit] = this.#injected.splice(i, 1);
      throw hit?.error;
    }
  }

  #handle(req: RestRequest): unknown {
    const discovery = this.#discovery(req.path);
    if (discovery !== undefined) return discovery;
    const { collection: c, namespace, name, subresource } = this.#route(req.path);
    const body = req.body as KubeObject | undefined;
    switch (req.method) {
      case 'GET': {
        if (name === undefined) {
          const sel = req.query?.['labelSelector'] as string | undefined;
          const items = [...c.objects.values()].filter((o) => this.#matches(o, namespace, sel)).map(clone);
          return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.#rv) }, items };
        }
        return clone(this.#mustGet(c, namespace, name));
      }
      case 'POST': {
        if (body === undefined) throw apiError(400, 'BadRequest', 'no body');
        const obj = clone(body);
        obj.metadata = { ...obj.metadata, ...(namespace ? { namespace } : {}) };
        if (!obj.metadata.name && (obj.metadata as { generateName?: string }).generateName) {
          obj.metadata.name = `${(obj.metadata as { generateName?: string }).generateName}${randomUUID().slice(0, 5)}`;
        }
        return clone(this.#create(c, obj));
      }
      case 'PUT': {
        const current = this.#mustGet(c, namespace, name as string);
        const next = clone(body as KubeObject);
        if (next.metadata.resourceVersion !== undefined && next.metadata.resourceVersion !== current.metadata.resourceVersion) {
          throw apiError(409, 'Conflict', `Operation cannot be fulfilled on ${c.resource.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        return clone(this.#update(c, current, next, subresource));
      }
      case 'PATCH': {
        const key = this.#key(namespace, name as string);
        const current = c.objects.get(key);
        if (req.contentType === 'application/apply-patch+yaml') {
          if (current === undefined) {
            if (subresource !== undefined) throw apiError(404, 'NotFound', `${c.resource.plural} "${name}" not found`);
            const obj = clone(body as KubeObject);
            obj.metadata = { ...obj.metadata, ...(namespace ? { namespace } : {}) };
            return clone(this.#create(c, obj));
          }
          return clone(this.#update(c, current, merge(current, body) as KubeObject, subresource));
        }
        if (req.contentType !== 'application/merge-patch+json') throw apiError(415, 'UnsupportedMediaType', `fake supports merge and apply patches, not ${req.contentType}`);
        if (current === undefined) throw apiError(404, 'NotFound', `${c.resource.plural} "${name}" not found`);
        const wantRV = (body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
        if (wantRV !== undefined && wantRV !== current.metadata.resourceVersion) {
          throw apiError(409, 'Conflict', `Operation cannot be fulfilled on ${c.resource.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        return clone(this.#update(c, current, merge(current, body) as KubeObject, subresource));
      }
      case 'DELETE': {
        const current = this.#mustGet(c, namespace, name as string);
        const uid = (body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
        if (uid !== undefined && uid !== current.metadata.uid) throw apiError(409, 'Conflict', `precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`);
        if ((current.metadata.finalizers ?? []).length > 0) {
          if (current.metadata.deletionTimestamp === undefined) {
            const next = clone(current);
            next.metadata.deletionTimestamp = this.#timestamp();
            this.#store(c, next, 'MODIFIED');
          }
        } else {
          this.#remove(c, current);
        }
        return statusBody(200, '', 'deleted');
      }
    }
    throw apiError(405, 'MethodNotAllowed', req.method);
  }

  #create(c: Collection, obj: KubeObject, options: { keepStatus?: boolean } = {}): KubeObject {
    const key = this.#key(obj.metadata.namespace, obj.metadata.name);
    if (c.resource.namespaced && !obj.metadata.namespace) throw apiError(400, 'BadRequest', 'namespace required');
    if (c.objects.has(key)) throw apiError(409, 'AlreadyExists', `${c.resource.plural} "${obj.metadata.name}" already exists`);
    obj.apiVersion = c.resource.apiVersion;
    obj.kind = c.resource.kind;
    obj.metadata = { ...obj.metadata, uid: randomUUID(), generation: 1, creationTimestamp: this.#timestamp() };
    delete obj.metadata.deletionTimestamp;
    if (c.status && !c.statusOnCreate && !options.keepStatus) delete (obj as { status?: unknown }).status;
    return this.#store(c, obj, 'ADDED');
  }

  #update(c: Collection, current: KubeObject, proposed: KubeObject, subresource: string | undefined): KubeObject {
    const next = clone(current) as KubeObject & { status?: unknown };
    const p = proposed as KubeObject & { status?: unknown };
    if (subresource === 'status') {
      if (p.status === undefined) delete next.status;
      else next.status = p.status;
    } else {
      for (const k of Object.keys(next)) if (k !== 'metadata' && !(c.status && k === 'status')) delete (next as Record<string, unknown>)[k];
      for (const [k, v] of Object.entries(p)) if (k !== 'metadata' && !(c.status && k === 'status')) (next as Record<string, unknown>)[k] = v;
      const { uid, resourceVersion, generation, creationTimestamp, deletionTimestamp } = current.metadata;
      next.metadata = {
        ...p.metadata,
        name: current.metadata.name,
        ...(current.metadata.namespace ? { namespace: current.metadata.namespace } : {}),
        ...(uid ? { uid } : {}),
        ...(resourceVersion ? { resourceVersion } : {}),
        ...(generation !== undefined ? { generation } : {}),
        ...(creationTimestamp ? { creationTimestamp } : {}),
        ...(deletionTimestamp ? { deletionTimestamp } : {}),
      };
      if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
      const spec = (o: KubeObject) => Object.fromEntries(Object.entries(o).filter(([k]) => !['metadata', 'status', 'apiVersion', 'kind'].includes(k)));
      if (!isDeepStrictEqual(spec(current), spec(next))) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    next.apiVersion = c.resource.apiVersion;
    next.kind = c.resource.kind;
    if (isDeepStrictEqual(next, current)) return current; // a no-op write: no new resourceVersion, no event
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      this.#remove(c, next);
      return next;
    }
    return this.#store(c, next, 'MODIFIED');
  }

  #store(c: Collection, obj: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const rv = ++this.#rv;
    obj.metadata.resourceVersion = String(rv);
    c.objects.set(this.#key(obj.metadata.namespace, obj.metadata.name), obj);
    this.#record({ rv, collection: c, type, object: clone(obj) });
    return obj;
  }

  #remove(c: Collection, obj: KubeObject): void {
    c.objects.delete(this.#key(obj.metadata.namespace, obj.metadata.name));
    const rv = ++this.#rv;
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(rv);
    this.#record({ rv, collection: c, type: 'DELETED', object: gone });
  }

  #record(h: HistoryEntry): void {
    this.#history.push(h);
    for (const w of this.#watches) {
      if (this.#delayed !== undefined) this.#delayed.push([w, h]);
      else this.#send(w, h);
    }
  }

  #send(w: OpenWatch, h: HistoryEntry): void {
    if (w.collection !== h.collection || !this.#matches(h.object, w.namespace, w.labelSelector)) return;
    w.onEvent({ type: h.type, object: clone(h.object) });
  }

  #matches(obj: KubeObject, namespace: string | undefined, labelSelector: string | undefined): boolean {
    if (namespace !== undefined && obj.metadata.namespace !== namespace) return false;
    if (!labelSelector) return true;
    return labelSelector.split(',').every((term) => {
      const [k, v] = term.split('=');
      return k !== undefined && obj.metadata.labels?.[k.trim()] === v?.trim();
    });
  }

  #mustGet(c: Collection, namespace: string | undefined, name: string): KubeObject {
    const obj = c.objects.get(this.#key(namespace, name));
    if (obj === undefined) throw apiError(404, 'NotFound', `${c.resource.plural} "${name}" not found`);
    return obj;
  }

  #collection(r: Pick<ResourceType, 'apiVersion' | 'kind'>): Collection {
    const c = this.#byKind.get(`${r.apiVersion}/${r.kind}`);
    if (c === undefined) throw new Error(`fake API server: ${r.kind} in ${r.apiVersion} is not registered`);
    return c;
  }

  #key(namespace: string | undefined, name: string): string {
    return namespace ? `${namespace}/${name}` : name;
  }

  #timestamp(): string {
    return new Date(this.#clock?.now() ?? Date.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  #discovery(path: string): unknown {
    const m = /^\/(api\/v1|apis\/[^/]+\/[^/]+)$/.exec(path);
    if (m === null) return undefined;
    const resources = [...this.#collections.entries()]
      .filter(([p]) => p.startsWith(`/${m[1]}/`))
      .map(([, c]) => ({ name: c.resource.plural, kind: c.resource.kind, namespaced: c.resource.namespaced }));
    if (resources.length === 0) throw apiError(404, 'NotFound', `the server could not find the requested resource`);
    return { kind: 'APIResourceList', groupVersion: m[1]?.replace(/^apis?\//, ''), resources };
  }

  #route(path: string): { collection: Collection; namespace: string | undefined; name: string | undefined; subresource: string | undefined } {
    const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (m === null) throw apiError(404, 'NotFound', `fake API server: no route for ${path}`);
    const [, base, namespace, plural, name, subresource] = m;
    const c = this.#collections.get(`${base}/${plural}`);
    if (c === undefined) throw apiError(404, 'NotFound', `the server could not find the requested resource (${path})`);
    return { collection: c, namespace: namespace && decodeURIComponent(namespace), name: name && decodeURIComponent(name), subresource };
  }
}
