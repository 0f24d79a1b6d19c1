/**
 * A keyed work queue with controller-runtime's semantics, independent of Kubernetes:
 *
 * - **dedupe**: a key is queued at most once however often it is added;
 * - **exclusivity**: a key handed out by `get()` is not handed out again until `done(key)`; adds
 *   in between mark it dirty and it is queued once more when `done` is called;
 * - **delays**: `addAfter` keeps the earliest pending time per key; `addRateLimited` delays by the
 *   key's backoff and `forget` resets it;
 * - **shutdown**: `shutDown()` stops handing out keys at once; `drain()` then waits for the keys in
 *   flight. Queued keys are dropped: reconciliation is level-triggered, so whoever runs next
 *   (this process after a restart, or the next leader) lists everything again.
 */
import { type Clock, realClock, type TimerHandle } from '../clock.js';
import { ExponentialBackoff, type RateLimiter } from './backoff.js';
import { MinHeap } from './heap.js';

/** Hooks for metrics; the queue calls them on its hot path, so they must be cheap. */
export interface QueueMetrics {
  added(): void;
  depth(n: number): void;
  /** Seconds a key waited between being queued and being handed out. */
  queued(seconds: number): void;
  /** Seconds between `get()` handing a key out and `done(key)`. */
  worked(seconds: number): void;
  retried(): void;
}

export const noopQueueMetrics: QueueMetrics = {
  added: () => undefined,
  depth: () => undefined,
  queued: () => undefined,
  worked: () => undefined,
  retried: () => undefined,
};

export interface WorkQueueOptions {
  readonly clock?: Clock;
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: QueueMetrics;
}

type Waiter = (key: string | undefined) => void;

export class WorkQueue {
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: QueueMetrics;

  // FIFO of keys ready to hand out: an array with a moving head (shift() is O(n)).
  #fifo: string[] = [];
  #head = 0;
  /** Keys that need processing: queued, or re-added while in flight. Maps to when they were added. */
  readonly #dirty = new Map<string, number>();
  /** Keys handed out and not yet done, with when they were handed out. */
  readonly #processing = new Map<string, number>();
  readonly #waiters: Waiter[] = [];

  readonly #delayed = new MinHeap();
  /** Earliest pending time per delayed key; heap entries that disagree are stale. */
  readonly #waitingUntil = new Map<string, number>();
  #seq = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  #shuttingDown = false;
  #drained: (() => void) | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#rateLimiter = options.rateLimiter ?? new ExponentialBackoff();
    this.#metrics = options.metrics ?? noopQueueMetrics;
  }

  /** Queue `key` unless it is already queued; if it is in flight, queue it again after `done`. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics.added();
    this.#dirty.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Queue `key` after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#waitingUntil.get(key);
    if (pending !== undefined && pending <= at) return;
    this.#waitingUntil.set(key, at);
    this.#delayed.push({ at, seq: this.#seq++, key });
    this.#arm();
  }

  /** Queue `key` after its backoff delay, counting one more failure for it. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics.retried();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Reset `key`'s backoff (after a success). Does not unqueue it. */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  retries(key: string): number {
    return this.#rateLimiter.retries(key);
  }

  /**
   * The next key to process, marking it in flight; waits while the queue is empty. Resolves to
   * `undefined` once the queue shuts down.
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Mark `key` finished; if it was added meanwhile, queue it again. */
  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics.worked((this.#clock.now() - started) / 1000);
    if (this.#shuttingDown) {
      if (this.#processing.size === 0) this.#drained?.();
      return;
    }
    if (this.#dirty.has(key)) this.#push(key);
  }

  /** Keys queued and ready (not delayed, not in flight). */
  get length(): number {
    return this.#fifo.length - this.#head;
  }

  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys waiting on `addAfter`/`addRateLimited`. */
  get delayed(): number {
    return this.#waitingUntil.size;
  }

  isInFlight(key: string): boolean {
    return this.#processing.has(key);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Seconds the keys now in flight have run, summed, and the longest (for stuck-worker metrics). */
  unfinishedWork(): { totalSeconds: number; longestSeconds: number } {
    const now = this.#clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.#processing.values()) {
      const s = (now - started) / 1000;
      total += s;
      if (s > longest) longest = s;
    }
    return { totalSeconds: total, longestSeconds: longest };
  }

  /**
   * Stop now: pending and future `get()`s resolve `undefined`, adds are ignored, queued and delayed
   * keys are dropped. Keys in flight may still call `done`.
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#fifo = [];
    this.#head = 0;
    for (const key of this.#dirty.keys()) if (!this.#processing.has(key)) this.#dirty.delete(key);
    this.#delayed.clear();
    this.#waitingUntil.clear();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#metrics.depth(0);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  /** Shut down and resolve once every key in flight is `done`. */
  drain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#handOut(key);
      waiter(key);
      return;
    }
    this.#fifo.push(key);
    this.#metrics.depth(this.length);
  }

  #pop(): string | undefined {
    if (this.#head >= this.#fifo.length) return undefined;
    const key = this.#fifo[this.#head] as string;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
    this.#metrics.depth(this.length);
    this.#handOut(key);
    return key;
  }

  #handOut(key: string): void {
    const now = this.#clock.now();
    const addedAt = this.#dirty.get(key) ?? now;
    this.#dirty.delete(key);
    this.#processing.set(key, now);
    this.#metrics.queued((now - addedAt) / 1000);
  }

  #arm(): void {
    const next = this.#delayed.peek();
    if (next === undefined || next.at >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = next.at;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), next.at - this.#clock.now());
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    for (let next = this.#delayed.peek(); next !== undefined && next.at <= now; next = this.#delayed.peek()) {
      this.#delayed.pop();
      if (this.#waitingUntil.get(next.key) !== next.at) continue; // superseded by an earlier addAfter
      this.#waitingUntil.delete(next.key);
      this.add(next.key);
    }
    this.#arm();
  }
}
