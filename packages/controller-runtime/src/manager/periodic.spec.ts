import { Metrics } from '../metrics/metrics.js';
import { FakeClock, flushPromises } from '../testing/fake-clock.js';
import { recordingLogger, silentLogger } from '../testing/logger.js';
import { PeriodicRunner } from './periodic.js';
import type { RunnableContext } from './runnable.js';

/** A run that stays in flight until `finish()` (or throws `fail`). */
function controllableTask() {
  const starts: number[] = [];
  const signals: AbortSignal[] = [];
  let finish: (() => void) | undefined;
  let fail: ((err: Error) => void) | undefined;
  return {
    starts,
    signals,
    run: (ctx: RunnableContext) =>
      new Promise<void>((resolve, reject) => {
        signals.push(ctx.signal);
        finish = resolve;
        fail = reject;
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
      }),
    record: (clock: FakeClock) => starts.push(clock.now()),
    finish: () => finish?.(),
    fail: (err: Error) => fail?.(err),
  };
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

describe('PeriodicRunner', () => {
  it('runs at once, then intervalMs after each run ends, never two at once', async () => {
    const clock = new FakeClock(0);
    const starts: number[] = [];
    let release: (() => void) | undefined;
    const p = new PeriodicRunner(
      {
        name: 'gc',
        intervalMs: 1_000,
        run: () => {
          starts.push(clock.now());
          return new Promise<void>((resolve) => (release = resolve));
        },
      },
      { logger: silentLogger(), clock },
    );
    p.start();
    await flushPromises();
    expect(starts).toEqual([0]);
    await clock.advanceAsync(5_000); // the first run is still going: no second one
    expect(starts).toEqual([0]);
    release?.();
    await clock.advanceAsync(999);
    expect(starts).toEqual([0]);
    await clock.advanceAsync(1);
    expect(starts).toEqual([0, 6_000]);
    release?.();
    await p.drain();
  });

  it('logs and counts a failed run, and retries it at the next tick', async () => {
    const clock = new FakeClock(0);
    const { logger, lines } = recordingLogger();
    const metrics = new Metrics({ processMetrics: false });
    let calls = 0;
    const p = new PeriodicRunner(
      {
        name: 'gc',
        intervalMs: 1_000,
        run: () => {
          calls++;
          return calls === 1 ? Promise.reject(new Error('provider unreachable')) : Promise.resolve();
        },
      },
      { logger, clock, metrics },
    );
    p.start();
    await clock.advanceAsync(1_000);
    expect(calls).toBe(2);
    expect(lines.filter((l) => l.level === 'error').map((l) => [l.message, l['runnable'], l['error']])).toEqual([
      ['periodic run failed; retrying at the next tick', 'gc', 'provider unreachable'],
    ]);
    expect(await metricValue(metrics, 'controller_runtime_periodic_runs_total', { name: 'gc', result: 'error' })).toBe(1);
    expect(await metricValue(metrics, 'controller_runtime_periodic_runs_total', { name: 'gc', result: 'success' })).toBe(1);
    await p.drain();
  });

  it('holds a run off while canRun() is false (the lease is not known to be valid)', async () => {
    const clock = new FakeClock(0);
    let allowed = false;
    let calls = 0;
    const p = new PeriodicRunner(
      { name: 'gc', intervalMs: 60_000, run: () => Promise.resolve(void calls++) },
      { logger: silentLogger(), clock, canRun: () => allowed, holdOffMs: 100 },
    );
    p.start();
    await clock.advanceAsync(1_000);
    expect(calls).toBe(0);
    allowed = true;
    await clock.advanceAsync(100);
    expect(calls).toBe(1);
    await p.drain();
  });

  it('drains the run in flight and starts no other; abort() aborts its signal and counts it as aborted', async () => {
    const clock = new FakeClock(0);
    const metrics = new Metrics({ processMetrics: false });
    const task = controllableTask();
    const p = new PeriodicRunner({ name: 'gc', intervalMs: 1_000, run: (ctx) => (task.record(clock), task.run(ctx)) }, { logger: silentLogger(), clock, metrics });
    p.start();
    await flushPromises();
    let drained = false;
    const draining = p.drain().then(() => (drained = true));
    await flushPromises();
    expect(drained).toBe(false);
    p.abort(new Error('shutdown timed out'));
    await draining;
    expect(task.signals[0]?.aborted).toBe(true);
    await clock.advanceAsync(10_000);
    expect(task.starts).toEqual([0]);
    expect(await metricValue(metrics, 'controller_runtime_periodic_runs_total', { name: 'gc', result: 'aborted' })).toBe(1);
  });

  it('refuses an interval that is not a positive number of milliseconds', () => {
    expect(() => new PeriodicRunner({ name: 'gc', intervalMs: 0, run: () => Promise.resolve() }, { logger: silentLogger() })).toThrow(
      'periodic gc: intervalMs must be a positive number of milliseconds, got 0',
    );
  });
});
