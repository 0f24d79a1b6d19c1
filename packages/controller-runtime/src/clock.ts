/**
 * Time as a dependency. Everything that waits or measures takes a `Clock`, so tests drive time
 * with `FakeClock` (`@kaito-ts/controller-runtime/testing`) instead of sleeping.
 */
export interface TimerHandle {
  /** Opaque; pass back to `clearTimeout`. */
  readonly id: unknown;
}

export interface Clock {
  /** Milliseconds since the epoch (wall time; what timestamps are written with). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Node fires a timer longer than this (about 24.8 days) after 1 ms instead: a long
 * `requeueAfterMs` or periodic interval would spin. Longer waits are chained in steps of it.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: { id: NodeJS.Timeout | undefined } = { id: undefined };
    const arm = (left: number): void => {
      const step = Math.min(Math.max(0, left), MAX_TIMER_MS);
      handle.id = setTimeout(left > MAX_TIMER_MS ? () => arm(left - MAX_TIMER_MS) : fn, step);
      // A pending backoff or resync never keeps the process alive on its own.
      handle.id.unref();
    };
    arm(ms);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle.id as NodeJS.Timeout);
  }
}

export const realClock: Clock = new RealClock();

/** Resolves after `ms` on `clock`, or rejects with the signal's reason when it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `ms` scaled by a random factor in [1, 1 + factor): spreads retries of many processes apart. */
export function jittered(ms: number, factor: number, random: () => number = Math.random): number {
  return ms * (1 + factor * random());
}
