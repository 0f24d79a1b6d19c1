import { ApiException } from '@kubernetes/client-node';
import { TerminalError } from '../errors.js';
import { Metrics } from '../metrics/metrics.js';
import { FakeClock, flushPromises } from '../testing/fake-clock.js';
import { recordingLogger, silentLogger } from '../testing/logger.js';
import { ControllerRunner } from './runner.js';
import type { Controller, ReconcileContext, Result } from './types.js';

interface Deferred {
  resolve(result?: Result): void;
  reject(err: unknown): void;
}

/** A controller whose reconciles finish only when the test says so. */
function gatedController(overrides: Partial<Controller> = {}) {
  const calls: { key: string; ctx: ReconcileContext; gate: Deferred }[] = [];
  let running = 0;
  let maxRunning = 0;
  const perKey = new Map<string, number>();
  let overlapped = false;
  const controller: Controller = {
    name: 'test',
    watches: [],
    reconcile: (key, ctx) =>
      new Promise<Result | void>((resolve, reject) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        if ((perKey.get(key) ?? 0) > 1) overlapped = true;
        const finish = () => {
          running--;
          perKey.set(key, (perKey.get(key) ?? 1) - 1);
        };
        calls.push({
          key,
          ctx,
          gate: {
            resolve: (r) => (finish(), resolve(r)),
            reject: (e) => (finish(), reject(e)),
          },
        });
      }),
    ...overrides,
  };
  return {
    controller,
    calls,
    stats: () => ({ maxRunning, overlapped }),
  };
}

function setup(overrides: Partial<Controller> = {}, logger = silentLogger()) {
  const clock = new FakeClock();
  const metrics = new Metrics({ processMetrics: false });
  const gated = gatedController(overrides);
  const runner = new ControllerRunner(gated.controller, { logger, metrics, clock });
  return { clock, metrics, runner, ...gated };
}

const conflict = () =>
  new ApiException(409, 'Conflict', { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' }, {});

/**
 * The reconcile counters and work queue series as `/metrics` serves them (the registry's text
 * exposition), series → value; histograms by their `_count`.
 */
async function scraped(metrics: Metrics, pattern = /^controller_runtime_(reconcile_total|reconcile_errors_total|terminal_reconcile_errors_total)\{/): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    if (!pattern.test(line)) continue;
    const space = line.lastIndexOf(' ');
    out[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return out;
}

/** controller-runtime's reconcile counters for controller `test`, all at 0 unless given. */
function reconcileCounters(counts: { success?: number; error?: number; requeue?: number; requeueAfter?: number; errors?: number; terminal?: number }) {
  return {
    'controller_runtime_reconcile_total{controller="test",result="success"}': counts.success ?? 0,
    'controller_runtime_reconcile_total{controller="test",result="error"}': counts.error ?? 0,
    'controller_runtime_reconcile_total{controller="test",result="requeue"}': counts.requeue ?? 0,
    'controller_runtime_reconcile_total{controller="test",result="requeue_after"}': counts.requeueAfter ?? 0,
    'controller_runtime_reconcile_errors_total{controller="test"}': counts.errors ?? 0,
    'controller_runtime_terminal_reconcile_errors_total{controller="test"}': counts.terminal ?? 0,
  };
}

async function counter(metrics: Metrics, result: string): Promise<number> {
  const m = await metrics.reconcileTotal.get();
  return m.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('ControllerRunner', () => {
  it('reconciles an enqueued key with its namespace and name', async () => {
    const { runner, calls } = setup();
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    expect(calls.map((c) => [c.ctx.namespace, c.ctx.name])).toEqual([['ns', 'a']]);
    calls[0]?.gate.resolve();
    await runner.stop();
  });

  it('never runs two reconciles of one key at once', async () => {
    const { runner, calls, stats } = setup({ concurrency: 4 });
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    runner.enqueue('ns/a');
    runner.enqueue('ns/a');
    await flushPromises();
    expect(calls).toHaveLength(1);
    calls[0]?.gate.resolve();
    await flushPromises();
    expect(calls).toHaveLength(2);
    expect(stats().overlapped).toBe(false);
    calls[1]?.gate.resolve();
    await runner.stop();
  });

  it('runs at most `concurrency` reconciles of different keys at once', async () => {
    const { runner, calls, stats } = setup({ concurrency: 2 });
    runner.start();
    for (const k of ['a', 'b', 'c', 'd']) runner.enqueue(k);
    await flushPromises();
    expect(calls).toHaveLength(2);
    for (const c of calls.slice()) c.gate.resolve();
    await flushPromises();
    expect(calls).toHaveLength(4);
    expect(stats().maxRunning).toBe(2);
    for (const c of calls.slice(2)) c.gate.resolve();
    await runner.stop();
  });

  it('retries a failed key with growing backoff', async () => {
    const { runner, calls, clock } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new Error('boom'));
    await flushPromises();
    expect(clock.nextTimerIn()).toBe(5);
    await clock.advanceAsync(5);
    calls[1]?.gate.reject(new Error('boom'));
    await flushPromises();
    expect(clock.nextTimerIn()).toBe(10);
    await clock.advanceAsync(10);
    expect(calls).toHaveLength(3);
    calls[2]?.gate.resolve();
    await runner.stop();
  });

  it('resets the backoff after a success', async () => {
    const { runner, calls, clock } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new Error('boom'));
    await clock.advanceAsync(5);
    calls[1]?.gate.resolve();
    await flushPromises();
    expect(runner.queue.retries('a')).toBe(0);
    await runner.stop();
  });

  it('reconciles again after requeueAfter and resets the backoff', async () => {
    const { runner, calls, clock } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new Error('boom'));
    await clock.advanceAsync(5);
    calls[1]?.gate.resolve({ requeueAfterMs: 30_000 });
    await flushPromises();
    expect(runner.queue.retries('a')).toBe(0);
    await clock.advanceAsync(29_999);
    expect(calls).toHaveLength(2);
    await clock.advanceAsync(1);
    expect(calls).toHaveLength(3);
    calls[2]?.gate.resolve();
    await runner.stop();
  });

  it('does not retry a TerminalError until the key is enqueued again', async () => {
    const { runner, calls, clock } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new TerminalError('spec.model is not a known preset'));
    await clock.advanceAsync(120_000);
    expect(calls).toHaveLength(1);
    runner.enqueue('a');
    await flushPromises();
    expect(calls).toHaveLength(2);
    calls[1]?.gate.resolve();
    await runner.stop();
  });

  it('exports every reconcile counter at 0 before the first reconcile, as controller-runtime does', async () => {
    const { metrics } = setup();
    expect(await scraped(metrics)).toEqual(reconcileCounters({}));
  });

  it('counts a TerminalError as result="error", in reconcile_errors_total and in terminal_reconcile_errors_total', async () => {
    const { runner, calls, metrics } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new TerminalError('spec.model is not a known preset'));
    await runner.stop();
    expect(await scraped(metrics)).toEqual(reconcileCounters({ error: 1, errors: 1, terminal: 1 }));
  });

  it('counts a plain error as result="error" and in reconcile_errors_total only', async () => {
    const { runner, calls, metrics } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new Error('boom'));
    await runner.stop();
    expect(await scraped(metrics)).toEqual(reconcileCounters({ error: 1, errors: 1 }));
  });

  it('requeues a conflict with backoff and counts it as result="requeue", not as an error', async () => {
    const { runner, calls, clock, metrics } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(conflict());
    await clock.advanceAsync(5);
    expect(calls).toHaveLength(2);
    expect(await scraped(metrics)).toEqual(reconcileCounters({ requeue: 1 }));
    calls[1]?.gate.resolve();
    await runner.stop();
  });

  it('counts requeueAfter as result="requeue_after" and a plain return as result="success"', async () => {
    const { runner, calls, clock, metrics } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.resolve({ requeueAfterMs: 1_000 });
    await clock.advanceAsync(1_000);
    calls[1]?.gate.resolve();
    await runner.stop();
    expect(await scraped(metrics)).toEqual(reconcileCounters({ requeueAfter: 1, success: 1 }));
    expect(await scraped(metrics, /^controller_runtime_reconcile_time_seconds_count\{/)).toEqual({
      'controller_runtime_reconcile_time_seconds_count{controller="test"}': 2,
    });
  });

  it('labels every work queue series with both name and controller, as controller-runtime does', async () => {
    const { runner, calls, clock, metrics } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.reject(new Error('boom'));
    await clock.advanceAsync(5);
    const text = await metrics.registry.metrics();
    const families = [...text.matchAll(/^# TYPE (workqueue_\w+) (\w+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.sort()).toEqual([
      'workqueue_adds_total counter',
      'workqueue_depth gauge',
      'workqueue_longest_running_processor_seconds gauge',
      'workqueue_queue_duration_seconds histogram',
      'workqueue_retries_total counter',
      'workqueue_unfinished_work_seconds gauge',
      'workqueue_work_duration_seconds histogram',
    ]);
    const series = text.split('\n').filter((l) => l.startsWith('workqueue_'));
    expect(series.filter((l) => !/\{name="test",controller="test"[,}]/.test(l))).toEqual([]);
    expect(await scraped(metrics, /^workqueue_(adds_total|retries_total|work_duration_seconds_count)\{/)).toEqual({
      'workqueue_adds_total{name="test",controller="test"}': 2,
      'workqueue_retries_total{name="test",controller="test"}': 1,
      'workqueue_work_duration_seconds_count{name="test",controller="test"}': 1,
    });
    calls[1]?.gate.resolve();
    await runner.stop();
  });

  it('logs each reconcile through a child logger with controller, namespace, name and reconcileID', async () => {
    const { logger, lines } = recordingLogger();
    const { runner, calls } = setup({}, logger);
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    calls[0]?.ctx.log.info('did a thing');
    calls[0]?.gate.resolve();
    await runner.stop();
    expect(lines.find((l) => l.message === 'did a thing')).toMatchObject({
      controller: 'test',
      namespace: 'ns',
      name: 'a',
      reconcileID: calls[0]?.ctx.reconcileID,
    });
  });

  it('gives each reconcile its own reconcileID', async () => {
    const { runner, calls } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    calls[0]?.gate.resolve();
    runner.enqueue('a');
    await flushPromises();
    calls[1]?.gate.resolve();
    await runner.stop();
    expect(calls[0]?.ctx.reconcileID).not.toBe(calls[1]?.ctx.reconcileID);
  });

  it('waits for reconciles in flight when stopping, without starting queued ones', async () => {
    const { runner, calls } = setup();
    runner.start();
    runner.enqueue('a');
    runner.enqueue('b');
    await flushPromises();
    let stopped = false;
    const stop = runner.stop().then(() => (stopped = true));
    await flushPromises();
    expect(stopped).toBe(false);
    calls[0]?.gate.resolve();
    await stop;
    expect(calls.map((c) => c.key)).toEqual(['a']);
  });

  it('holds keys back while it may not reconcile, and runs them once it may', async () => {
    const clock = new FakeClock();
    let allowed = false;
    const gated = gatedController();
    const runner = new ControllerRunner(gated.controller, { logger: silentLogger(), clock, canReconcile: () => allowed });
    runner.start();
    runner.enqueue('a');
    await clock.advanceAsync(1_000);
    expect(gated.calls).toHaveLength(0);
    allowed = true;
    await clock.advanceAsync(100);
    expect(gated.calls.map((c) => c.key)).toEqual(['a']);
    gated.calls[0]?.gate.resolve();
    await runner.stop();
  });

  it('aborts the signal of reconciles in flight when stopped with abort', async () => {
    const { runner, calls } = setup();
    runner.start();
    runner.enqueue('a');
    await flushPromises();
    const stop = runner.stop({ abort: true });
    expect(calls[0]?.ctx.signal.aborted).toBe(true);
    calls[0]?.gate.resolve();
    await stop;
  });

  it('reports a reconcile that fails because it was aborted as aborted, not as an error', async () => {
    const { logger, lines } = recordingLogger();
    const { runner, calls, metrics } = setup({}, logger);
    runner.start();
    runner.enqueue('ns/a');
    await flushPromises();
    const stop = runner.stop({ abort: true });
    calls[0]?.gate.reject(calls[0].ctx.signal.reason);
    await stop;
    expect([await counter(metrics, 'aborted'), await counter(metrics, 'error')]).toEqual([1, 0]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.find((l) => l.message === 'reconcile aborted: the controller is stopping')).toMatchObject({
      level: 'info',
      name: 'a',
      error: 'controller test stopped',
    });
  });
});
