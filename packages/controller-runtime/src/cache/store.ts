/**
 * The informer's in-memory store: objects by `namespace/name`, plus secondary indexes kept in step
 * on every write (by namespace always; by label, by owner or anything else on request).
 */
import { keyOf, type KubeObject } from '../api/object.js';

/** The index values of one object: `['app=web']`, owner UIDs, …; empty to leave it unindexed. */
export type IndexFunc<T> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

/** Indexes the value of one label: query with `byIndex(name, value)`. */
export function labelIndex<T extends KubeObject>(label: string): IndexFunc<T> {
  return (obj) => {
    const v = obj.metadata.labels?.[label];
    return v === undefined ? [] : [v];
  };
}

/** Indexes every ownerReference by owner UID: `byIndex('owner', owner.metadata.uid)`. */
export function ownerIndex<T extends KubeObject>(): IndexFunc<T> {
  return (obj) => (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
}

/** Indexes the controller ownerReference as `Kind/namespace/name` (namespace of the object). */
export function controllerIndex<T extends KubeObject>(): IndexFunc<T> {
  return (obj) => {
    const ref = obj.metadata.ownerReferences?.find((r) => r.controller === true);
    return ref === undefined ? [] : [`${ref.kind}/${obj.metadata.namespace ?? ''}/${ref.name}`];
  };
}

export interface Delta<T> {
  readonly type: 'add' | 'update' | 'delete';
  readonly obj: T;
  readonly old?: T;
}

export class Store<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexer(NAMESPACE_INDEX, (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []));
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.#indexers.has(name)) throw new Error(`indexer ${name} already exists`);
    this.#indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.#indices.set(name, index);
    for (const [key, obj] of this.#items) for (const v of fn(obj)) add(index, v, key);
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  /** Every object, or those in one namespace. */
  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.#items.values()];
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  byIndex(name: string, value: string): T[] {
    const index = this.#indices.get(name);
    if (index === undefined) throw new Error(`no indexer named ${name}`);
    const keys = index.get(value);
    if (keys === undefined) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.#items.get(k);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  /** Insert or replace; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    if (this.#indexers.size > 0) this.#reindex(key, old, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    this.#reindex(key, old, undefined);
    return old;
  }

  /**
   * Make the store equal to `objs` (a fresh list) and return what changed: new keys are adds,
   * changed resourceVersions updates, and keys no longer listed deletes carrying the last known
   * object, so deletions missed while disconnected still reach the handlers; a key whose UID changed
   * (deleted and created again) is a delete and an add. Keys in `keep` are
   * left as they are (objects the list returned but that could not be decoded).
   */
  replace(objs: readonly T[], keep: ReadonlySet<string> = new Set()): Delta<T>[] {
    const deltas: Delta<T>[] = [];
    const seen = new Set<string>(keep);
    for (const obj of objs) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.#items.get(key);
      if (old !== undefined && old.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
      this.upsert(obj);
      if (old === undefined) deltas.push({ type: 'add', obj });
      else if (old.metadata.uid !== undefined && obj.metadata.uid !== undefined && old.metadata.uid !== obj.metadata.uid) {
        // Deleted and created again under the same name while we were not watching: another
        // object, which an update (filtered by `generationChanged`, both at generation 1) would hide.
        deltas.push({ type: 'delete', obj: old }, { type: 'add', obj });
      } else deltas.push({ type: 'update', obj, old });
    }
    for (const key of [...this.#items.keys()]) {
      if (seen.has(key)) continue;
      const old = this.delete(key);
      if (old !== undefined) deltas.push({ type: 'delete', obj: old });
    }
    return deltas;
  }

  #reindex(key: string, old: T | undefined, obj: T | undefined): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name) as Map<string, Set<string>>;
      const before = old === undefined ? [] : fn(old);
      const after = obj === undefined ? [] : fn(obj);
      for (const v of before) if (!after.includes(v)) remove(index, v, key);
      for (const v of after) add(index, v, key);
    }
  }
}

function add(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (keys === undefined) index.set(value, (keys = new Set()));
  keys.add(key);
}

function remove(index: Map<string, Set<string>>, value: string, key: string): void {
  const keys = index.get(value);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(value);
}
