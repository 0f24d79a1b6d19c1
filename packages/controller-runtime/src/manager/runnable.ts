/**
 * What a manager runs, as controller-runtime's `Runnable` and `LeaderElectionRunnable`: controllers
 * (`mgr.add`), periodic tasks (`mgr.addPeriodic`) and long-running loops (`mgr.addRunnable`). Each
 * may name caches it reads; it starts only once they have synced.
 *
 * | kind         | starts                                   | graceful stop                    | `signal` aborts                      |
 * |--------------|------------------------------------------|----------------------------------|--------------------------------------|
 * | controller   | leading (default), caches synced         | stop handing out keys, drain     | lease lost, or drain timed out       |
 * | periodic     | leading (default), caches synced; a run  | no new run; drain the one        | lease lost, or drain timed out       |
 * |              | at once, then `intervalMs` after each    | in flight                        |                                      |
 * | runnable     | leading (default), caches synced         | `signal` aborts: return          | at stop, or lease lost               |
 *
 * `needLeaderElection: false` starts a runnable on every replica as soon as its caches have
 * synced; the lease does not stop it.
 */
import type { ResourceType } from '../api/resource.js';
import type { Logger } from '../log/logger.js';

export interface RunnableContext {
  /** `root.child({ runnable: name })`. */
  readonly log: Logger;
  /** Aborts when the work must stop now (see the table above). */
  readonly signal: AbortSignal;
}

interface RunnableOptions {
  /** Metric label and log field: short and stable, e.g. `nodeclaim.garbagecollection`. Unique per manager. */
  readonly name: string;
  /** Start only on the replica holding the lease, stop when it is lost. Default true. */
  readonly needLeaderElection?: boolean;
  /** Resources whose shared caches must have synced before it starts (they are created if needed). */
  readonly waitForCaches?: readonly ResourceType[];
}

export interface Periodic extends RunnableOptions {
  /** Time from the end of one run to the start of the next; runs never overlap. */
  readonly intervalMs: number;
  /** One pass. A throw is logged and counted (`controller_runtime_periodic_runs_total{result="error"}`); the next tick retries. */
  run(ctx: RunnableContext): Promise<void>;
}

export interface Runnable extends RunnableOptions {
  /** Run until `ctx.signal` aborts, then return within the graceful shutdown timeout. A throw stops the manager. */
  start(ctx: RunnableContext): Promise<void>;
}

/** What `stop()` (and shutdown on a signal) reports. */
export interface ShutdownReport {
  /** Runnables still busy when the graceful shutdown timeout ran out; their `signal` was aborted. */
  readonly notStopped: readonly string[];
}

/** How the manager drives every kind alike. */
export interface ManagedRunnable {
  readonly name: string;
  readonly needLeaderElection: boolean;
  readonly caches: readonly ResourceType[];
  /** Begin; the caches have synced and, if needed, this replica leads. */
  start(): void;
  /** Take no new work; resolves once the work in flight has returned. */
  drain(): Promise<void>;
  /** Abort the work in flight (its `signal`). */
  abort(reason: Error): void;
}
