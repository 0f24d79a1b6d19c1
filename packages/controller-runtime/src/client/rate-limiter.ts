/**
 * Client-side QPS/burst limit (client-go's token bucket): up to `burst` requests at once, then
 * `qps` per second. Each `acquire` reserves a token and waits until it is due, so concurrent
 * callers are served in order without a busy loop.
 */
import { type Clock, realClock, sleep } from '../clock.js';

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(qps: number, burst: number, clock: Clock = realClock) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`rate limit needs qps > 0 and burst >= 1, got ${qps}/${burst}`);
    this.qps = qps;
    this.burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Milliseconds the caller must wait for its token (0 when one is free); reserves it. */
  reserve(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.qps;
  }

  /** Waits for a token; returns the milliseconds waited. */
  async acquire(signal?: AbortSignal): Promise<number> {
    const wait = this.reserve();
    if (wait > 0) await sleep(this.#clock, wait, signal);
    return wait;
  }
}
