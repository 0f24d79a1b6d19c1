import { FakeClock } from '../testing/fake-clock.js';
import { ExponentialBackoff } from './backoff.js';
import { WorkQueue } from './workqueue.js';

const setup = (backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 1000 })) => {
  const clock = new FakeClock();
  const queue = new WorkQueue({ clock, rateLimiter: backoff });
  return { clock, queue };
};

/** Takes every key that is ready now without waiting. */
async function drainReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length > 0) {
    const key = await queue.get();
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

describe('WorkQueue dedupe', () => {
  it('queues a key once however many times it is added', async () => {
    const { queue } = setup();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.length).toBe(1);
    expect(await drainReady(queue)).toEqual(['ns/a']);
  });

  it('hands out distinct keys in the order they were first added', async () => {
    const { queue } = setup();
    for (const k of ['b', 'a', 'b', 'c', 'a']) queue.add(k);
    expect(await drainReady(queue)).toEqual(['b', 'a', 'c']);
  });

  it('lets a key be queued again once it has been handed out', async () => {
    const { queue } = setup();
    queue.add('a');
    await queue.get();
    queue.done('a');
    queue.add('a');
    expect(queue.length).toBe(1);
  });

  it('resolves a waiting get() when a key is added', async () => {
    const { queue } = setup();
    const next = queue.get();
    queue.add('a');
    await expect(next).resolves.toBe('a');
  });
});

describe('WorkQueue in-flight exclusivity', () => {
  it('does not hand out a key again while it is in flight', async () => {
    const { queue } = setup();
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.add('b');
    expect(queue.length).toBe(1);
    expect(await drainReady(queue)).toEqual(['b']);
  });

  it('requeues a key added during processing exactly once when it is done', async () => {
    const { queue } = setup();
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.add('a');
    queue.done('a');
    expect(await drainReady(queue)).toEqual(['a']);
  });

  it('does not requeue a key that was not added during processing', async () => {
    const { queue } = setup();
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('reports which keys are in flight', async () => {
    const { queue } = setup();
    queue.add('a');
    await queue.get();
    expect(queue.isInFlight('a')).toBe(true);
    queue.done('a');
    expect(queue.isInFlight('a')).toBe(false);
  });
});

describe('WorkQueue backoff', () => {
  it('grows the delay exponentially with each failure of the same key', async () => {
    const { clock, queue } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      queue.addRateLimited('a');
      delays.push(clock.nextTimerIn() ?? -1);
      clock.advance(delays[i] ?? 0);
      await queue.get();
      queue.done('a');
    }
    expect(delays).toEqual([5, 10, 20, 40]);
  });

  it('caps the delay at the maximum', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 1000 });
    const delays = Array.from({ length: 12 }, () => backoff.when('a'));
    expect(delays.slice(-3)).toEqual([1000, 1000, 1000]);
  });

  it('resets the delay after forget', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 1000 });
    backoff.when('a');
    backoff.when('a');
    backoff.forget('a');
    expect(backoff.when('a')).toBe(5);
  });

  it('keeps each key’s backoff separate', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 1000 });
    backoff.when('a');
    backoff.when('a');
    expect(backoff.when('b')).toBe(5);
  });

  it('does not hand out a rate-limited key before its delay has passed', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 1000 });
    const { clock, queue } = setup(backoff);
    backoff.when('a'); // one earlier failure: the next delay is 10 ms
    queue.addRateLimited('a');
    clock.advance(9);
    expect(queue.length).toBe(0);
    clock.advance(1);
    expect(queue.length).toBe(1);
  });

  it('counts retries per key until forget', () => {
    const { queue } = setup();
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    expect(queue.retries('a')).toBe(2);
    queue.forget('a');
    expect(queue.retries('a')).toBe(0);
  });

  it('rejects a backoff whose maximum is below its base', () => {
    expect(() => new ExponentialBackoff({ baseMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});

describe('WorkQueue addAfter (requeueAfter)', () => {
  it('queues the key only after the delay', () => {
    const { clock, queue } = setup();
    queue.addAfter('a', 30_000);
    clock.advance(29_999);
    expect(queue.length).toBe(0);
    clock.advance(1);
    expect(queue.length).toBe(1);
  });

  it('keeps the earliest of two pending delays for a key', () => {
    const { clock, queue } = setup();
    queue.addAfter('a', 10_000);
    queue.addAfter('a', 1_000);
    clock.advance(1_000);
    expect(queue.length).toBe(1);
  });

  it('ignores a later delay when an earlier one is pending', () => {
    const { clock, queue } = setup();
    queue.addAfter('a', 1_000);
    queue.addAfter('a', 10_000);
    expect(queue.delayed).toBe(1);
    clock.advance(1_000);
    expect(queue.delayed).toBe(0);
  });

  it('fires delayed keys in time order', async () => {
    const { clock, queue } = setup();
    queue.addAfter('late', 300);
    queue.addAfter('early', 100);
    queue.addAfter('middle', 200);
    clock.advance(300);
    expect(await drainReady(queue)).toEqual(['early', 'middle', 'late']);
  });

  it('adds immediately for a zero delay', () => {
    const { queue } = setup();
    queue.addAfter('a', 0);
    expect(queue.length).toBe(1);
  });

  it('merges a delayed key with the same key already queued', () => {
    const { clock, queue } = setup();
    queue.add('a');
    queue.addAfter('a', 100);
    clock.advance(100);
    expect(queue.length).toBe(1);
  });

  it('waits for the key in flight before handing out its delayed re-add', async () => {
    const { clock, queue } = setup();
    queue.add('a');
    await queue.get();
    queue.addAfter('a', 100);
    clock.advance(100);
    expect(queue.length).toBe(0);
    queue.done('a');
    expect(queue.length).toBe(1);
  });
});

describe('WorkQueue shutdown', () => {
  it('resolves a waiting get() with undefined', async () => {
    const { queue } = setup();
    const next = queue.get();
    queue.shutDown();
    await expect(next).resolves.toBeUndefined();
  });

  it('stops handing out queued keys', async () => {
    const { queue } = setup();
    queue.add('a');
    queue.shutDown();
    await expect(queue.get()).resolves.toBeUndefined();
  });

  it('ignores adds after shutdown', () => {
    const { queue } = setup();
    queue.shutDown();
    queue.add('a');
    queue.addAfter('b', 10);
    expect(queue.length + queue.delayed).toBe(0);
  });

  it('cancels pending delayed adds', () => {
    const { clock, queue } = setup();
    queue.addAfter('a', 100);
    queue.shutDown();
    expect(clock.pending).toBe(0);
  });

  it('drains by waiting for keys in flight to be done', async () => {
    const { queue } = setup();
    queue.add('a');
    queue.add('b');
    await queue.get();
    await queue.get();
    let drained = false;
    const drain = queue.drain().then(() => (drained = true));
    queue.done('a');
    await Promise.resolve();
    expect(drained).toBe(false);
    queue.done('b');
    await drain;
    expect(drained).toBe(true);
  });

  it('drains at once when nothing is in flight', async () => {
    const { queue } = setup();
    queue.add('a');
    await expect(queue.drain()).resolves.toBeUndefined();
  });
});

describe('WorkQueue unfinished work', () => {
  it('reports how long the keys in flight have been running', async () => {
    const { clock, queue } = setup();
    queue.add('a');
    await queue.get();
    clock.advance(1500);
    queue.add('b');
    await queue.get();
    clock.advance(500);
    expect(queue.unfinishedWork()).toEqual({ totalSeconds: 2.5, longestSeconds: 2 });
  });
});
