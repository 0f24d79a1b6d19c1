/**
 * Runs a periodic task: one run as soon as it starts, then the next `intervalMs` after each run
 * ends (never two at once), on an injected clock:
 *
 * | outcome                        | next run                     | metric result |
 * |--------------------------------|------------------------------|---------------|
 * | returns                        | `intervalMs` later           | `success`     |
 * | throws                         | `intervalMs` later (logged)  | `error`       |
 * | throws after `abort`           | none (the manager stops)     | `aborted`     |
 * | `canRun()` false at a tick     | asked again after `holdOffMs`| (no run)      |
 */
import type { ResourceType } from '../api/resource.js';
import { type Clock, realClock, type TimerHandle } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics, PeriodicResultLabel } from '../metrics/metrics.js';
import type { ManagedRunnable, Periodic, RunnableContext } from './runnable.js';

export interface PeriodicRunnerOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /** Asked before each run (the manager: "the lease is still valid"); false holds the run off. */
  readonly canRun?: () => boolean;
  /** Default 100 ms. */
  readonly holdOffMs?: number;
}

export class PeriodicRunner implements ManagedRunnable {
  readonly name: string;
  readonly needLeaderElection: boolean;
  readonly caches: readonly ResourceType[];
  readonly #task: Periodic;
  readonly #clock: Clock;
  readonly #canRun: () => boolean;
  readonly #holdOffMs: number;
  readonly #ctx: RunnableContext;
  readonly #abort = new AbortController();
  readonly #record: (result: PeriodicResultLabel, seconds: number) => void;
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  #stopping = false;

  constructor(task: Periodic, options: PeriodicRunnerOptions) {
    if (!(task.intervalMs > 0)) throw new Error(`periodic ${task.name}: intervalMs must be a positive number of milliseconds, got ${task.intervalMs}`);
    this.#task = task;
    this.name = task.name;
    this.needLeaderElection = task.needLeaderElection ?? true;
    this.caches = task.waitForCaches ?? [];
    this.#clock = options.clock ?? realClock;
    this.#canRun = options.canRun ?? (() => true);
    this.#holdOffMs = options.holdOffMs ?? 100;
    this.#ctx = { log: options.logger.child({ runnable: task.name }), signal: this.#abort.signal };
    const m = options.metrics;
    this.#record = m
      ? (result, seconds) => {
          m.periodicRuns.labels(task.name, result).inc();
          m.periodicRunTime.labels(task.name).observe(seconds);
        }
      : () => undefined;
  }

  start(): void {
    if (this.#stopping || this.#timer !== undefined || this.#inFlight !== undefined) return;
    this.#tick();
  }

  drain(): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#inFlight ?? Promise.resolve();
  }

  abort(reason: Error): void {
    this.#abort.abort(reason);
  }

  #schedule(ms: number): void {
    if (this.#stopping) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, ms);
  }

  #tick(): void {
    if (this.#stopping) return;
    if (!this.#canRun()) {
      this.#schedule(this.#holdOffMs);
      return;
    }
    this.#inFlight = this.#runOnce().finally(() => {
      this.#inFlight = undefined;
      this.#schedule(this.#task.intervalMs);
    });
  }

  async #runOnce(): Promise<void> {
    const started = this.#clock.now();
    let result: PeriodicResultLabel = 'success';
    try {
      await this.#task.run(this.#ctx);
    } catch (err) {
      if (this.#abort.signal.aborted) {
        result = 'aborted';
        this.#ctx.log.info('periodic run aborted: stopping', { error: describeError(err) });
      } else {
        result = 'error';
        this.#ctx.log.error('periodic run failed; retrying at the next tick', { error: describeError(err), intervalMs: this.#task.intervalMs });
      }
    } finally {
      this.#record(result, (this.#clock.now() - started) / 1000);
    }
  }
}
