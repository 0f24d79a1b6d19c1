import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { FastCounter, FastGauge, FastHistogram } from './fast.js';
import { Metrics } from './metrics.js';

describe('fast metrics', () => {
  it('render a histogram in the Prometheus text format with cumulative buckets', async () => {
    const registry = new Registry();
    const h = new FastHistogram({ name: 'h_seconds', help: 'h', labelNames: ['controller'], buckets: [0.1, 1], registers: [registry] });
    const child = h.labels('ws');
    child.observe(0.05);
    child.observe(0.5);
    child.observe(5);
    expect(await registry.metrics()).toBe(
      [
        '# HELP h_seconds h',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{controller="ws",le="0.1"} 1',
        'h_seconds_bucket{controller="ws",le="1"} 2',
        'h_seconds_bucket{controller="ws",le="+Inf"} 3',
        'h_seconds_sum{controller="ws"} 5.55',
        'h_seconds_count{controller="ws"} 3',
        '',
      ].join('\n'),
    );
  });

  it('keep one child per label set', async () => {
    const registry = new Registry();
    const c = new FastCounter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [registry] });
    c.labels('1', '2').inc();
    c.inc({ a: '1', b: '2' }, 2);
    c.labels('1', '3').inc();
    expect((await c.get()).values).toEqual([
      { labels: { a: '1', b: '2' }, value: 3, metricName: 'c_total' },
      { labels: { a: '1', b: '3' }, value: 1, metricName: 'c_total' },
    ]);
  });

  it('refuse the wrong number of label values', () => {
    const g = new FastGauge({ name: 'g', help: 'g', labelNames: ['a'], registers: [] });
    expect(() => g.labels('1', '2')).toThrow(/expected 1 label values/);
  });
});

/** A histogram bound as exposed: a number, or `+Inf`. */
const le = (text: string | undefined): number => (text === '+Inf' ? Infinity : Number(text));

describe('Metrics', () => {
  it('exposes queue metrics under controller-runtime’s names and labels', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const q = metrics.forQueue('workspace');
    q.added();
    q.depth(3);
    q.retried();
    const text = await metrics.registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="workspace",controller="workspace"} 1');
    expect(text).toContain('workqueue_depth{name="workspace",controller="workspace"} 3');
    expect(text).toContain('workqueue_retries_total{name="workspace",controller="workspace"} 1');
  });

  it('buckets queue durations in controller-runtime’s decades, 10 ns to 1000 s', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.forQueue('workspace').queued(0.002);
    const bounds = [...(await metrics.registry.metrics()).matchAll(/^workqueue_queue_duration_seconds_bucket\{.*le="([^"]+)"\} (\d+)$/gm)].map((m) => [le(m[1]), Number(m[2])]);
    expect(bounds).toEqual([
      [1e-8, 0], [1e-7, 0], [1e-6, 0], [1e-5, 0], [1e-4, 0], [1e-3, 0],
      [0.01, 1], [0.1, 1], [1, 1], [10, 1], [100, 1], [1000, 1], [Infinity, 1],
    ]);
  });

  it('buckets reconcile times as controller-runtime does, 5 ms to 60 s', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.forController('workspace', 1).reconciled('success', 0.12);
    const bounds = [...(await metrics.registry.metrics()).matchAll(/^controller_runtime_reconcile_time_seconds_bucket\{.*le="([^"]+)"\}/gm)].map((m) => le(m[1]));
    expect(bounds).toHaveLength(41);
    expect(bounds.slice(0, 6)).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.15]);
    expect(bounds.slice(-5)).toEqual([30, 40, 50, 60, Infinity]);
  });

  it('includes Node.js process metrics by default', async () => {
    const metrics = new Metrics();
    expect(await metrics.registry.metrics()).toContain('process_cpu_user_seconds_total');
  });

  it('are each documented in docs/controller-runtime.md with their type', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const exported = [...(await metrics.registry.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    const doc = readFileSync(join(__dirname, '../../../../docs/controller-runtime.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(documented.sort()).toEqual(exported.sort());
  });
});
