/**
 * What a controller is: a name, `reconcile(key, ctx) → Result`, and the watches that turn object
 * changes into keys. Reconcile is level-triggered: it gets a key, never the event, and re-reads
 * what it needs from the caches.
 */
import type { KubeObject } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import type { Logger } from '../log/logger.js';
import type { ExponentialBackoffOptions } from '../queue/backoff.js';

/** What to do after a successful reconcile. `{}` (or nothing): done until the next change. */
export interface Result {
  /** Reconcile this key again after this long (a timed check); resets the key's backoff. */
  readonly requeueAfterMs?: number;
}

export interface ReconcileContext {
  readonly controller: string;
  /** `namespace/name`, or `name` for cluster-scoped objects. */
  readonly key: string;
  readonly namespace: string | undefined;
  readonly name: string;
  /** Unique per reconcile; also on every line of `log`. */
  readonly reconcileID: string;
  /** `root.child({ controller, namespace, name, reconcileID })`. */
  readonly log: Logger;
  /**
   * Aborts when this process must stop reconciling at once: leadership lost, or the manager's
   * graceful shutdown timeout ran out (`stop({ timeoutMs: 0 })`: at once). Pass it to every call
   * that can wait.
   */
  readonly signal: AbortSignal;
}

export type ChangeType = 'add' | 'update' | 'delete';

export interface Change<T> {
  readonly type: ChangeType;
  readonly obj: T;
  /** The previous state, for updates. */
  readonly old?: T;
}

/** A watch with its object type erased, so one controller can list watches of several kinds. */
export interface Watch {
  readonly resource: ResourceType<KubeObject>;
  readonly mapToKeys: (obj: KubeObject) => readonly string[];
  readonly predicate: ((change: Change<KubeObject>) => boolean) | undefined;
}

export interface Controller {
  /** Metric label, log field and queue name: short and stable, e.g. `workspace`. */
  readonly name: string;
  /**
   * Bring the world in line with the object behind `key`. Throw to retry with per-key backoff; throw
   * a `TerminalError` for a problem only a change to the object can fix; a 409 Conflict is retried
   * without being reported as an error.
   */
  reconcile(key: string, ctx: ReconcileContext): Promise<Result | void>;
  readonly watches: readonly Watch[];
  /** Reconciles running at once (different keys). Default 1. */
  readonly concurrency?: number;
  /** Per-key retry backoff. Default 5 ms → 60 s. */
  readonly backoff?: ExponentialBackoffOptions;
  /** Reconcile only on the replica holding the lease (controller-runtime's `NeedLeaderElection`). Default true. */
  readonly needLeaderElection?: boolean;
}

export interface WatchOptions<T extends KubeObject> {
  /** Keys to reconcile when `obj` changes. Default: the object's own key. */
  readonly mapToKeys?: (obj: T) => readonly string[];
  /** Only changes for which this returns true enqueue anything. */
  readonly predicate?: (change: Change<T>) => boolean;
}
