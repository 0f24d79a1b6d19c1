import { eventually } from './eventually.js';

describe('eventually', () => {
  it('retries while the function throws or returns false, then returns its value', async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls++;
        if (calls === 1) throw new Error('not yet');
        return calls >= 3 ? 'done' : false;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('times out with the description and the last failure as message and cause', async () => {
    const last = new Error('Ready is False');
    const err = await eventually(
      () => {
        throw last;
      },
      { timeoutMs: 20, intervalMs: 5, description: 'pod web-0 Ready' },
    ).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^eventually \(pod web-0 Ready\): not satisfied within 20 ms \(\d+ tries\); last failure: Ready is False$/);
    expect((err as Error).cause).toBe(last);
  });

  it('says so when the function kept returning false', async () => {
    await expect(eventually(() => false, { timeoutMs: 10, intervalMs: 2 })).rejects.toThrow('last failure: returned false');
  });
});
