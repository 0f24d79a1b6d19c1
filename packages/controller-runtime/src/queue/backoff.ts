/**
 * Per-key retry delays. `when(key)` returns the next delay and counts a failure; `forget(key)`
 * resets the key after a success, so one flapping object never slows the others down.
 */
export interface RateLimiter {
  /** The delay before `key`'s next retry; counts one more failure for it. */
  when(key: string): number;
  /** Forget `key`'s failures (called after a success or a `requeueAfter`). */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  retries(key: string): number;
}

export interface ExponentialBackoffOptions {
  /** Delay after the first failure. Default 5 ms. */
  readonly baseMs?: number;
  /** Cap on the delay. Default 60 s. */
  readonly maxMs?: number;
}

/** `base · 2^failures`, capped at `max` (client-go's ItemExponentialFailureRateLimiter). */
export class ExponentialBackoff implements RateLimiter {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 5;
    this.maxMs = options.maxMs ?? 60_000;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) {
      throw new RangeError(`backoff needs 0 < baseMs <= maxMs, got ${this.baseMs} and ${this.maxMs}`);
    }
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after the cap; min() keeps it finite.
    return Math.min(this.maxMs, this.baseMs * 2 ** failures);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}
