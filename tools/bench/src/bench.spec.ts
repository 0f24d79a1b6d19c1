import { podFixture } from './pod-fixture.js';
import { queueThroughput, runnerThroughput } from './queue-throughput.js';

describe('benchmarks', () => {
  it('push every key through the controller runner exactly once', async () => {
    const result = await runnerThroughput({ keys: 500, concurrency: 4 });
    expect(result.processed).toBe(500);
  });

  it('push every key through the bare queue', async () => {
    const result = await queueThroughput({ keys: 500, concurrency: 4 });
    expect(result.processed).toBe(500);
  });

  it('make distinct pods of a realistic size', () => {
    const a = JSON.stringify(podFixture(1));
    const b = JSON.stringify(podFixture(2));
    expect([a === b, a.length > 3000]).toEqual([false, true]);
  });
});
