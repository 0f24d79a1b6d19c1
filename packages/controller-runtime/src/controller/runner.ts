/**
 * Runs one controller: a work queue fed by its watches and `concurrency` workers calling
 * `reconcile`, with controller-runtime's result handling:
 *
 * | outcome                      | queue                        | metrics (`controller_runtime_…`)                                              |
 * |------------------------------|------------------------------|-------------------------------------------------------------------------------|
 * | `{}` / nothing               | forget (reset backoff)       | `reconcile_total{result="success"}`                                           |
 * | `{ requeueAfterMs }`         | forget, addAfter             | `reconcile_total{result="requeue_after"}`                                     |
 * | throws 409 Conflict          | addRateLimited, logged debug | `reconcile_total{result="requeue"}`                                           |
 * | throws `TerminalError`       | forget; waits for a change   | `result="error"`, `reconcile_errors_total`, `terminal_reconcile_errors_total` |
 * | throws anything else         | addRateLimited               | `result="error"`, `reconcile_errors_total`                                    |
 * | throws after `stop({abort})` | nothing (the process stops)  | `reconcile_total{result="aborted"}`                                           |
 *
 * Each also observes `reconcile_time_seconds`. The mapping is controller-runtime's reconcileHandler
 * (a conflict is what a Go reconciler returning `Result{Requeue: true}` gets); it lives in
 * `Metrics.forController`.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, realClock } from '../clock.js';
import { parseKey } from '../api/object.js';
import { describeError, isConflict, isTerminal } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics, ReconcileOutcome } from '../metrics/metrics.js';
import { ExponentialBackoff } from '../queue/backoff.js';
import { WorkQueue } from '../queue/workqueue.js';
import type { Controller, ReconcileContext, Result } from './types.js';

export interface RunnerOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /**
   * Asked before each reconcile; when false the key waits (retried every `holdOffMs`). The manager
   * answers "the leader lease is still valid", so a process that wakes from a long pause does not
   * act before its renew loop has found out whether it still leads.
   */
  readonly canReconcile?: () => boolean;
  /** Default 100 ms. */
  readonly holdOffMs?: number;
}

export class ControllerRunner {
  readonly controller: Controller;
  readonly queue: WorkQueue;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #concurrency: number;
  readonly #canReconcile: () => boolean;
  readonly #holdOffMs: number;
  readonly #abort = new AbortController();
  readonly #onResult: (outcome: ReconcileOutcome, seconds: number) => void;
  readonly #activeWorkers: { inc(): void; dec(): void };
  #workers: Promise<void>[] = [];

  constructor(controller: Controller, options: RunnerOptions) {
    this.controller = controller;
    this.#log = options.logger;
    this.#clock = options.clock ?? realClock;
    this.#concurrency = Math.max(1, Math.floor(controller.concurrency ?? 1));
    this.#canReconcile = options.canReconcile ?? (() => true);
    this.#holdOffMs = options.holdOffMs ?? 100;
    const m = options.metrics;
    this.queue = new WorkQueue({
      clock: this.#clock,
      rateLimiter: new ExponentialBackoff(controller.backoff),
      ...(m ? { metrics: m.forQueue(controller.name) } : {}),
    });
    if (m) {
      m.forQueue(controller.name, this.queue);
      const metrics = m.forController(controller.name, this.#concurrency);
      this.#onResult = metrics.reconciled;
      this.#activeWorkers = metrics.activeWorkers;
    } else {
      this.#onResult = () => undefined;
      this.#activeWorkers = { inc: () => undefined, dec: () => undefined };
    }
  }

  get name(): string {
    return this.controller.name;
  }

  /** The signal every reconcile gets; aborted by `stop({ abort: true })`. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Start the workers. */
  start(): void {
    if (this.#workers.length > 0) return;
    for (let i = 0; i < this.#concurrency; i++) this.#workers.push(this.#work());
  }

  /**
   * Stop handing out keys. With `abort`, also abort the reconciles in flight (leadership lost); in
   * either case wait, up to `timeoutMs`, for them to return. Resolves true if all returned in time.
   */
  async stop(options: { abort?: boolean; timeoutMs?: number } = {}): Promise<boolean> {
    if (options.abort) this.#abort.abort(new Error(`controller ${this.name} stopped`));
    const drained = this.queue.drain().then(() => Promise.all(this.#workers)).then(() => true);
    if (options.timeoutMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.timeoutMs);
    });
    const done = await Promise.race([drained, timeout]);
    clearTimeout(timer);
    if (!done) this.#abort.abort(new Error(`controller ${this.name}: shutdown timed out`));
    return done;
  }

  /** Abort the reconciles in flight (their `signal`); the manager's shutdown does this once draining timed out. */
  abort(reason: Error): void {
    this.#abort.abort(reason);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.#canReconcile()) {
        this.queue.done(key);
        this.queue.addAfter(key, this.#holdOffMs);
        continue;
      }
      await this.reconcileKey(key);
    }
  }

  /** One reconcile of `key` with result handling; the key must be in flight (handed out by the queue). */
  async reconcileKey(key: string): Promise<void> {
    const ctx = new Context(this.name, key, this.#log, this.#abort.signal);
    const log = (): Logger => ctx.log;
    const started = this.#clock.now();
    this.#activeWorkers.inc();
    let outcome: ReconcileOutcome = 'success';
    try {
      const result: Result | void = await this.controller.reconcile(key, ctx);
      const after = result?.requeueAfterMs;
      this.queue.forget(key);
      if (after !== undefined && after > 0) {
        outcome = 'requeue_after';
        this.queue.addAfter(key, after);
      }
    } catch (err) {
      if (this.#abort.signal.aborted) {
        // Stopped under it (leadership lost, shutdown timed out): the next leader or process
        // reconciles the key again, so this is no failure; nothing is requeued here.
        outcome = 'aborted';
        log().info('reconcile aborted: the controller is stopping', { error: describeError(err) });
      } else if (isTerminal(err)) {
        outcome = 'terminal_error';
        this.queue.forget(key);
        log().error('reconcile failed, not retrying until the object changes', { error: describeError(err) });
      } else if (isConflict(err)) {
        outcome = 'conflict';
        this.queue.addRateLimited(key);
        log().debug('reconcile hit a conflict, requeued', { error: describeError(err) });
      } else {
        outcome = 'error';
        this.queue.addRateLimited(key);
        log().error('reconcile failed', { error: describeError(err), retries: this.queue.retries(key) });
      }
    } finally {
      this.#activeWorkers.dec();
      this.#onResult(outcome, (this.#clock.now() - started) / 1000);
      this.queue.done(key);
    }
  }
}

/**
 * The context of one reconcile. The reconcileID and the child logger are made on first use: a
 * reconcile that finds nothing to do and logs nothing should not pay for them.
 */
class Context implements ReconcileContext {
  readonly namespace: string | undefined;
  readonly name: string;
  #reconcileID: string | undefined;
  #log: Logger | undefined;

  constructor(
    readonly controller: string,
    readonly key: string,
    private readonly root: Logger,
    readonly signal: AbortSignal,
  ) {
    const { namespace, name } = parseKey(key);
    this.namespace = namespace;
    this.name = name;
  }

  get reconcileID(): string {
    return (this.#reconcileID ??= randomUUID());
  }

  get log(): Logger {
    return (this.#log ??= this.root.child({ controller: this.controller, namespace: this.namespace, name: this.name, reconcileID: this.reconcileID }));
  }
}
