import type { Clock, TimerHandle } from '../clock.js';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time order, setting `now()`
 * to each timer's time as it fires, so code that reschedules from a callback sees consistent time.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];

  constructor(start: number | Date = Date.UTC(2025, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  /** Timers scheduled and not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Milliseconds until the next timer, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    const next = this.#next();
    return next === undefined ? undefined : next.at - this.#now;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let t = this.#next(); t !== undefined && t.at <= end; t = this.#next()) {
      this.#timers = this.#timers.filter((x) => x !== t);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = end;
  }

  /**
   * Like `advance`, but lets promise callbacks run after each timer, so async code that awaits
   * between timers (a retry loop, a reconcile) makes progress as time passes.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flushPromises();
    for (let t = this.#next(); t !== undefined && t.at <= end; t = this.#next()) {
      this.#timers = this.#timers.filter((x) => x !== t);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
      await flushPromises();
    }
    this.#now = end;
    await flushPromises();
  }

  #next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) if (best === undefined || t.at < best.at) best = t;
    return best;
  }
}

/** Let every queued promise callback (and those they queue) run. */
export async function flushPromises(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
