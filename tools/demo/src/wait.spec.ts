import { DemoFailure, Interrupted, pause, until } from './wait.js';

describe('until', () => {
  const never = new AbortController().signal;

  it('returns the first value the check yields, retrying undefined and ordinary errors', async () => {
    const answers: Array<() => number | undefined> = [() => undefined, () => { throw new Error('api busy'); }, () => 7];
    const shown: string[] = [];
    const value = await until('seven', async () => answers.shift()?.(), { signal: never, timeoutMs: 5_000, intervalMs: 1, show: (w) => shown.push(w) });
    expect(value).toBe(7);
    expect(shown).toEqual(['seven']);
  });

  it('ends at once on a DemoFailure from the check, without waiting for the timeout', async () => {
    let calls = 0;
    const t0 = Date.now();
    await expect(
      until(
        'never',
        async () => {
          calls++;
          throw new DemoFailure('the Workspace Failed', { log: '/x.log' });
        },
        { signal: never, timeoutMs: 60_000, intervalMs: 1 },
      ),
    ).rejects.toMatchObject({ code: 'DemoFailure', log: '/x.log' });
    expect(calls).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('times out naming what it waited for, the last error and the log', async () => {
    await expect(
      until(
        'the node to join',
        async () => {
          throw new Error('connection refused');
        },
        { signal: never, timeoutMs: 20, intervalMs: 5, log: '/logs/gpu-provisioner.log' },
      ),
    ).rejects.toMatchObject({ code: 'DemoFailure', log: '/logs/gpu-provisioner.log', message: expect.stringMatching(/waiting for the node to join; last error: connection refused/) });
  });

  it('stops with Interrupted as soon as the signal aborts', async () => {
    const abort = new AbortController();
    const waiting = until('forever', async () => undefined, { signal: abort.signal, timeoutMs: 60_000, intervalMs: 30_000 });
    setTimeout(() => abort.abort(), 10);
    await expect(waiting).rejects.toBeInstanceOf(Interrupted);
  });
});

describe('pause', () => {
  it('rejects with Interrupted when aborted before its time', async () => {
    const abort = new AbortController();
    const p = pause(60_000, abort.signal);
    abort.abort();
    await expect(p).rejects.toBeInstanceOf(Interrupted);
  });
});
