/**
 * Controllers and long-running loops seen as `ManagedRunnable`s, so the manager starts, drains and
 * aborts every kind the same way (periodic tasks are one already: `PeriodicRunner`).
 */
import type { ResourceType } from '../api/resource.js';
import type { ControllerRunner } from '../controller/runner.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ManagedRunnable, Runnable, RunnableContext } from './runnable.js';

/** `connect` hooks the controller's watches to its queue; it runs once, right before the workers start. */
export function controllerRunnable(runner: ControllerRunner, connect: () => void): ManagedRunnable {
  let connected = false;
  return {
    name: runner.name,
    needLeaderElection: runner.controller.needLeaderElection ?? true,
    caches: runner.controller.watches.map((w) => w.resource),
    start() {
      if (!connected) connect();
      connected = true;
      runner.start();
    },
    drain: () => runner.stop().then(() => undefined),
    abort: (reason) => runner.abort(reason),
  };
}

/** A `Runnable`: its `signal` is how it is told to stop, so draining aborts it. A throw calls `onFailure`. */
export function loopRunnable(r: Runnable, o: { readonly logger: Logger; readonly onFailure: (err: unknown) => void }): ManagedRunnable {
  const abort = new AbortController();
  const log = o.logger.child({ runnable: r.name });
  let running: Promise<void> | undefined;
  return {
    name: r.name,
    needLeaderElection: r.needLeaderElection ?? true,
    caches: r.waitForCaches ?? ([] as readonly ResourceType[]),
    start() {
      running ??= startLoop(r, { log, signal: abort.signal }).then(
        () => {
          if (!abort.signal.aborted) log.info('runnable returned before the manager stopped');
        },
        (err: unknown) => {
          if (abort.signal.aborted) return;
          log.error('runnable failed; stopping the manager', { error: describeError(err) });
          o.onFailure(err);
        },
      );
    },
    drain() {
      abort.abort(new Error(`runnable ${r.name}: the manager is stopping`));
      return running ?? Promise.resolve();
    },
    abort: (reason) => abort.abort(reason),
  };
}

/** `r.start`, with a throw before it returns a promise made a rejection (else it would escape the manager unhandled). */
function startLoop(r: Runnable, ctx: RunnableContext): Promise<void> {
  try {
    return r.start(ctx);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
