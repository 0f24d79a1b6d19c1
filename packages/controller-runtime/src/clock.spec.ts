import { realClock } from './clock.js';

describe('realClock.setTimeout', () => {
  it('does not fire a wait longer than Node timers allow (2^31 ms) at once', async () => {
    let fired = false;
    const handle = realClock.setTimeout(() => (fired = true), 2 ** 31 + 1000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fired).toBe(false);
    } finally {
      realClock.clearTimeout(handle);
    }
  });

  it('fires a short wait, and not one that was cleared', async () => {
    const fired: string[] = [];
    realClock.setTimeout(() => fired.push('short'), 1);
    realClock.clearTimeout(realClock.setTimeout(() => fired.push('cleared'), 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toEqual(['short']);
  });
});
