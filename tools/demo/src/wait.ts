/**
 * How the demo waits: poll a check until it yields a value, showing what is waited for, and stop
 * at once on Ctrl-C (the abort signal) or on a verdict that waiting cannot change (a Workspace
 * that Failed). Not `eventually` (@kaito-ts/core/testing), which is the tests' wait: it retries
 * every throw until its timeout and cannot be interrupted, where a person at a terminal needs the
 * failure now and Ctrl-C to work.
 */
import { codedError } from '@kaito-ts/core';

/** A failure of the demo: which phase, why, and the log to look at. */
export class DemoFailure extends codedError('DemoFailure') {
  /** The log file (or folder) that shows why. */
  log: string | undefined;
  constructor(message: string, options: { cause?: unknown; log?: string } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.log = options.log;
  }
}

/** Ctrl-C (SIGINT), SIGTERM or SIGHUP arrived. */
export class Interrupted extends codedError('Interrupted') {}

export interface UntilOptions {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** The log that would show why, named in a timeout's message. */
  readonly log?: string;
  /** Told what is being waited for (the display's status line). */
  readonly show?: (what: string) => void;
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted('interrupted');
}

/** Resolves after `ms`, or rejects with Interrupted as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted('interrupted'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted('interrupted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `check` every `intervalMs` until it returns something other than `undefined`, and returns
 * that. A DemoFailure or Interrupted thrown by `check` ends the wait at once; any other error is
 * remembered and retried (the API server busy, a process still starting) and named if time runs out.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined>, o: UntilOptions): Promise<T> {
  o.show?.(what);
  const deadline = Date.now() + o.timeoutMs;
  let last: unknown;
  for (;;) {
    throwIfAborted(o.signal);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof DemoFailure || err instanceof Interrupted) throw err;
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : '';
      throw new DemoFailure(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${what}${why}`, { ...(o.log !== undefined ? { log: o.log } : {}), cause: last });
    }
    await pause(o.intervalMs ?? 500, o.signal);
  }
}
