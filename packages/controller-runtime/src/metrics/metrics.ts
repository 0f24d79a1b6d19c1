/**
 * Prometheus metrics, named, labelled and bucketed as controller-runtime and client-go do so
 * existing dashboards and alerts work: `controller_runtime_reconcile_*`, `workqueue_*`,
 * `leader_election_master_status`, `rest_client_*`, plus process metrics. One `Registry` per
 * manager (never prom-client's global), so several managers can live in one process (tests)
 * without clashing. Every metric and each deliberate difference from Go is listed in
 * docs/controller-runtime.md ("Metrics"); keep that table in step with this file.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FastCounter as Counter, FastGauge, FastHistogram as Histogram } from './fast.js';
import type { QueueMetrics } from '../queue/workqueue.js';

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** controller-runtime's `controller_runtime_reconcile_time_seconds` buckets. */
const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8,
  9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/**
 * controller-runtime's work queue histogram buckets, `ExponentialBuckets(10e-9, 10, 12)`: the
 * decades 10 ns … 1000 s, written out so each bound prints as the decade it is.
 */
const WORKQUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

/** How one reconcile ended, as the runner classifies it; `forController` maps it to metrics. */
export type ReconcileOutcome = 'success' | 'requeue_after' | 'conflict' | 'terminal_error' | 'error' | 'aborted';

/**
 * Values of the `result` label: controller-runtime's four, plus `aborted` (ours: the reconcile
 * failed because the controller was stopping, which Go would count as `error`).
 */
type ResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after' | 'aborted';

/** Hooks for one controller's reconciles, with their label children bound once (they run per key). */
export interface ControllerMetrics {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  readonly activeWorkers: { inc(): void; dec(): void };
}

/**
 * controller-runtime labels every work queue series with `name` and `controller`, both the
 * controller's name; queries written for either label work here.
 */
type QueueLabel = 'name' | 'controller';
const QUEUE_LABELS: readonly QueueLabel[] = ['name', 'controller'];
export type PeriodicResultLabel = 'success' | 'error' | 'aborted';

interface QueueSource {
  unfinishedWork(): { totalSeconds: number; longestSeconds: number };
}

interface CacheSource {
  readonly size: number;
}

export interface MetricsOptions {
  readonly registry?: Registry;
  /** Node.js process metrics (CPU, memory, event-loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

export class Metrics {
  readonly registry: Registry;

  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalReconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly activeWorkers: FastGauge<'controller'>;
  readonly maxConcurrentReconciles: FastGauge<'controller'>;

  readonly periodicRuns: Counter<'name' | 'result'>;
  readonly periodicRunTime: Histogram<'name'>;

  readonly queueDepth: FastGauge<QueueLabel>;
  readonly queueAdds: Counter<QueueLabel>;
  readonly queueLatency: Histogram<QueueLabel>;
  readonly workDuration: Histogram<QueueLabel>;
  readonly queueRetries: Counter<QueueLabel>;

  readonly leaderStatus: FastGauge<'name'>;
  readonly leaderTransitions: Counter<'name'>;

  readonly restRequests: Counter<'method' | 'code'>;
  readonly restLatency: Histogram<'method'>;
  readonly rateLimiterLatency: Histogram<'method'>;

  readonly informerLists: Counter<'resource'>;
  readonly informerWatches: Counter<'resource'>;
  readonly informerWatchErrors: Counter<'resource' | 'reason'>;
  readonly informerDecodeErrors: Counter<'resource'>;

  readonly eventsPublished: Counter<'type' | 'reason'>;
  readonly eventsDeduplicated: Counter<'reason'>;

  readonly #queues = new Map<string, QueueSource>();
  readonly #caches = new Map<string, CacheSource>();

  constructor(options: MetricsOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    const queues = this.#queues;
    const caches = this.#caches;

    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller, by result.',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.terminalReconcileErrors = new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors (not retried) per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller.',
      labelNames: ['controller'],
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
    });
    this.activeWorkers = new FastGauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of reconciles running now per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.maxConcurrentReconciles = new FastGauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller.',
      labelNames: ['controller'],
      registers,
    });

    this.periodicRuns = new Counter({
      name: 'controller_runtime_periodic_runs_total',
      help: 'Total number of runs per periodic task, by result.',
      labelNames: ['name', 'result'],
      registers,
    });
    this.periodicRunTime = new Histogram({
      name: 'controller_runtime_periodic_run_time_seconds',
      help: 'Length of time per run per periodic task.',
      labelNames: ['name'],
      buckets: DURATION_BUCKETS,
      registers,
    });

    this.queueDepth = new FastGauge({
      name: 'workqueue_depth',
      help: 'Current depth of the work queue.',
      labelNames: QUEUE_LABELS,
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by the work queue.',
      labelNames: QUEUE_LABELS,
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds a key stays in the work queue before being handed out.',
      labelNames: QUEUE_LABELS,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing a key from the work queue takes.',
      labelNames: QUEUE_LABELS,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of rate-limited retries handled by the work queue.',
      labelNames: QUEUE_LABELS,
      registers,
    });
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'Seconds of work in progress not yet observed by work_duration; large values mean stuck workers.',
      labelNames: QUEUE_LABELS,
      registers,
      collect() {
        for (const [name, q] of queues) this.set({ name, controller: name }, q.unfinishedWork().totalSeconds);
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'Seconds the longest running reconcile of each queue has been running.',
      labelNames: QUEUE_LABELS,
      registers,
      collect() {
        for (const [name, q] of queues) this.set({ name, controller: name }, q.unfinishedWork().longestSeconds);
      },
    });

    this.leaderStatus = new FastGauge({
      name: 'leader_election_master_status',
      help: '1 while this process holds the leader lease, else 0.',
      labelNames: ['name'],
      registers,
    });
    this.leaderTransitions = new Counter({
      name: 'leader_election_transitions_total',
      help: 'Times this process became or stopped being the leader.',
      labelNames: ['name'],
      registers,
    });

    this.restRequests = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests to the API server, by method and status code ("<error>" when no answer).',
      labelNames: ['method', 'code'],
      registers,
    });
    this.restLatency = new Histogram({
      name: 'rest_client_request_duration_seconds',
      help: 'API server request latency in seconds, by method.',
      labelNames: ['method'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.rateLimiterLatency = new Histogram({
      name: 'rest_client_rate_limiter_duration_seconds',
      help: 'Seconds requests waited for the client-side QPS/burst limiter.',
      labelNames: ['method'],
      buckets: DURATION_BUCKETS,
      registers,
    });

    this.informerLists = new Counter({
      name: 'controller_runtime_informer_lists_total',
      help: 'Full lists (initial and relists after 410 Gone) per resource.',
      labelNames: ['resource'],
      registers,
    });
    this.informerWatches = new Counter({
      name: 'controller_runtime_informer_watches_total',
      help: 'Watch requests started per resource.',
      labelNames: ['resource'],
      registers,
    });
    this.informerWatchErrors = new Counter({
      name: 'controller_runtime_informer_watch_errors_total',
      help: 'Watches that ended in an error per resource, by reason (gone, transport, status code).',
      labelNames: ['resource', 'reason'],
      registers,
    });
    this.informerDecodeErrors = new Counter({
      name: 'controller_runtime_informer_decode_errors_total',
      help: 'Objects from the API server that did not match the resource codec (dropped) per resource.',
      labelNames: ['resource'],
      registers,
    });
    new Gauge({
      name: 'controller_runtime_informer_cached_objects',
      help: 'Objects held in each informer cache.',
      labelNames: ['resource'],
      registers,
      collect() {
        for (const [resource, c] of caches) this.set({ resource }, c.size);
      },
    });

    this.eventsPublished = new Counter({
      name: 'controller_runtime_events_total',
      help: 'Kubernetes Events sent, by type and reason.',
      labelNames: ['type', 'reason'],
      registers,
    });
    this.eventsDeduplicated = new Counter({
      name: 'controller_runtime_events_deduplicated_total',
      help: 'Kubernetes Events dropped as duplicates of a recent one, by reason.',
      labelNames: ['reason'],
      registers,
    });

    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Hooks for one controller's reconciles. As controller-runtime does, its series exist (at 0)
   * from the start, so `rate()` and absence alerts work before the first failure.
   */
  forController(name: string, maxConcurrentReconciles: number): ControllerMetrics {
    this.maxConcurrentReconciles.set({ controller: name }, maxConcurrentReconciles);
    const time = this.reconcileTime.labels(name);
    const errors = this.reconcileErrors.labels(name);
    const terminal = this.terminalReconcileErrors.labels(name);
    const total = (result: ResultLabel) => this.reconcileTotal.labels(name, result);
    const success = total('success');
    const error = total('error');
    const requeue = total('requeue');
    const requeueAfter = total('requeue_after');
    let aborted: { inc(): void } | undefined; // ours alone: created on first use, not advertised at 0
    const activeWorkers = this.activeWorkers.labels(name);
    activeWorkers.set(0);
    return {
      activeWorkers,
      // controller-runtime's reconcileHandler: every error, terminal or not, is `result="error"` and
      // counts in reconcile_errors_total; a terminal one counts in terminal_reconcile_errors_total too.
      reconciled: (outcome, seconds) => {
        time.observe(seconds);
        switch (outcome) {
          case 'success':
            return success.inc();
          case 'requeue_after':
            return requeueAfter.inc();
          case 'conflict': // retried with backoff and not an error: Go's `Result{Requeue: true}`
            return requeue.inc();
          case 'terminal_error':
            terminal.inc();
            errors.inc();
            return error.inc();
          case 'error':
            errors.inc();
            return error.inc();
          case 'aborted':
            return (aborted ??= total('aborted')).inc();
        }
      },
    };
  }

  /** Hooks for one work queue, with its label children bound once (they run per key). */
  forQueue(name: string, queue?: QueueSource): QueueMetrics {
    if (queue !== undefined) this.#queues.set(name, queue);
    // Both labels carry the controller's name, as in controller-runtime.
    const depth = this.queueDepth.labels(name, name);
    const adds = this.queueAdds.labels(name, name);
    const latency = this.queueLatency.labels(name, name);
    const work = this.workDuration.labels(name, name);
    const retries = this.queueRetries.labels(name, name);
    return {
      added: () => adds.inc(),
      depth: (n) => depth.set(n),
      queued: (s) => latency.observe(s),
      worked: (s) => work.observe(s),
      retried: () => retries.inc(),
    };
  }

  watchCache(resource: string, cache: CacheSource): void {
    this.#caches.set(resource, cache);
  }
}
