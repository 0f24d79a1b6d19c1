/**
 * Counters, gauges and histograms for hot paths (every queue operation, every reconcile). They
 * plug into a prom-client `Registry` like its own metrics and render identically, but a child is
 * bound to its label values once (`labels(...)`), so recording is plain arithmetic: prom-client's
 * own `labels()` children validate and hash their labels on every call, which cost more than the
 * work queue itself in the throughput benchmark.
 */
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

type Labels = Record<string, string | number>;
type Value = MetricValueWithName<string>;

interface Config<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

abstract class FastMetric<L extends string, C> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly L[];
  protected readonly children = new Map<string, { labels: Labels; child: C }>();

  constructor(config: Config<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    for (const r of config.registers) r.registerMetric(this as unknown as Metric<string>);
  }

  /** The child for these label values (in `labelNames` order), created on first use. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] as string));
      entry = { labels, child: this.newChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  protected labelsOf(labels: Partial<Record<L, string>>): string[] {
    return this.labelNames.map((n) => String(labels[n] ?? ''));
  }

  reset(): void {
    this.children.clear();
  }

  async get(): Promise<MetricObjectWithValues<Value>> {
    const collect = (): void => undefined;
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, collect, values: this.values() };
  }

  protected abstract newChild(): C;
  protected abstract values(): Value[];
}

export interface CounterChild {
  inc(n?: number): void;
}

export class FastCounter<L extends string> extends FastMetric<L, CounterChild & { value: number }> {
  readonly type = 'counter' as const;
  inc(labels: Partial<Record<L, string>>, n = 1): void {
    this.labels(...this.labelsOf(labels)).inc(n);
  }
  protected newChild(): CounterChild & { value: number } {
    return {
      value: 0,
      inc(n = 1) {
        this.value += n;
      },
    };
  }
  protected values(): Value[] {
    return [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value, metricName: this.name }));
  }
}

export interface GaugeChild {
  set(v: number): void;
  inc(n?: number): void;
  dec(n?: number): void;
}

export class FastGauge<L extends string> extends FastMetric<L, GaugeChild & { value: number }> {
  readonly type = 'gauge' as const;
  set(labels: Partial<Record<L, string>>, v: number): void {
    this.labels(...this.labelsOf(labels)).set(v);
  }
  protected newChild(): GaugeChild & { value: number } {
    return {
      value: 0,
      set(v) {
        this.value = v;
      },
      inc(n = 1) {
        this.value += n;
      },
      dec(n = 1) {
        this.value -= n;
      },
    };
  }
  protected values(): Value[] {
    return [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value, metricName: this.name }));
  }
}

export interface HistogramChild {
  observe(v: number): void;
}

interface HistogramState extends HistogramChild {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram<L extends string> extends FastMetric<L, HistogramState> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];

  constructor(config: Config<L> & { readonly buckets: readonly number[] }) {
    super(config);
    this.buckets = [...config.buckets].sort((a, b) => a - b);
  }

  observe(labels: Partial<Record<L, string>>, v: number): void {
    this.labels(...this.labelsOf(labels)).observe(v);
  }

  protected newChild(): HistogramState {
    const bounds = this.buckets;
    return {
      counts: new Array<number>(bounds.length).fill(0),
      sum: 0,
      count: 0,
      observe(v) {
        this.sum += v;
        this.count++;
        for (let i = 0; i < bounds.length; i++) {
          if (v <= (bounds[i] as number)) {
            (this.counts[i] as number)++;
            return;
          }
        }
      },
    };
  }

  protected values(): Value[] {
    const out: Value[] = [];
    for (const { labels, child } of this.children.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += child.counts[i] as number;
        out.push({ labels: { ...labels, le }, value: acc, metricName: `${this.name}_bucket` });
      });
      out.push({ labels: { ...labels, le: '+Inf' }, value: child.count, metricName: `${this.name}_bucket` });
      out.push({ labels, value: child.sum, metricName: `${this.name}_sum` });
      out.push({ labels, value: child.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
