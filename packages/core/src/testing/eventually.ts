export interface EventuallyOptions {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Pause between tries; default 250 ms. */
  readonly intervalMs?: number;
  /** Said in the timeout error, e.g. "pod web-0 Ready". */
  readonly description?: string;
}

/**
 * Retries `fn` until it returns without throwing and not `false`, then returns its value. Put
 * `expect(…)` calls inside: the last failure is in the timeout error (and its `cause`). The
 * one way every test waits for something to become true (docs/development.md).
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let tries = 0;
  for (;;) {
    tries++;
    try {
      const value = await fn();
      if (value !== false) return value as Exclude<T, false>;
      last = new Error('returned false');
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.description !== undefined ? ` (${opts.description})` : '';
      const why = last instanceof Error ? last.message : String(last);
      throw new Error(`eventually${what}: not satisfied within ${timeoutMs} ms (${tries} tries); last failure: ${why}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
