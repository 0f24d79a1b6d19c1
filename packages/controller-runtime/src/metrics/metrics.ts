/**
 * Prometheus metrics, named as controller-runtime and client-go name them so existing dashboards
 * and alerts work: `controller_runtime_reconcile_*`, `workqueue_*`, `leader_election_master_status`,
 * `rest_client_*`, plus process metrics. One `Registry` per manager (never prom-client's global),
 * so several managers can live in one process (tests) without clashing.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FastCounter as Counter, FastGauge, FastHistogram as Histogram } from './fast.js';
import type { QueueMetrics } from '../queue/workqueue.js';

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type ReconcileResultLabel = 'success' | 'error' | 'requeue_after' | 'terminal_error' | 'conflict' | 'aborted';
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

  readonly queueDepth: FastGauge<'name'>;
  readonly queueAdds: Counter<'name'>;
  readonly queueLatency: Histogram<'name'>;
  readonly workDuration: Histogram<'name'>;
  readonly queueRetries: Counter<'name'>;

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
      buckets: DURATION_BUCKETS,
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
      labelNames: ['name'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds a key stays in the work queue before being handed out.',
      labelNames: ['name'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing a key from the work queue takes.',
      labelNames: ['name'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of rate-limited retries handled by the work queue.',
      labelNames: ['name'],
      registers,
    });
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'Seconds of work in progress not yet observed by work_duration; large values mean stuck workers.',
      labelNames: ['name'],
      registers,
      collect() {
        for (const [name, q] of queues) this.set({ name }, q.unfinishedWork().totalSeconds);
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'Seconds the longest running reconcile of each queue has been running.',
      labelNames: ['name'],
      registers,
      collect() {
        for (const [name, q] of queues) this.set({ name }, q.unfinishedWork().longestSeconds);
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

  /** Hooks for one work queue, with its label children bound once (they run per key). */
  forQueue(name: string, queue?: QueueSource): QueueMetrics {
    if (queue !== undefined) this.#queues.set(name, queue);
    const depth = this.queueDepth.labels(name);
    const adds = this.queueAdds.labels(name);
    const latency = this.queueLatency.labels(name);
    const work = this.workDuration.labels(name);
    const retries = this.queueRetries.labels(name);
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
