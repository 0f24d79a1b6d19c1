/**
 * The manager: shared informer caches (one per resource), the runnables (controllers, periodic
 * tasks, loops: see runnable.ts), leader election, the HTTP endpoints and shutdown.
 *
 *     start ─▶ serve /metrics /healthz /readyz ─▶ start caches (standbys keep theirs warm)
 *           ─▶ runnables that need no election: wait for their caches, start
 *           ─▶ leader election ─▶ elected: the leader-only runnables wait for their caches and
 *              start (a controller connects its watches, then starts its workers)
 *     lost lease ─▶ abort every leader-only runnable at once ─▶ start() rejects with
 *                   LeaderElectionLostError: exit and let Kubernetes restart the process
 *     SIGTERM / stop({ timeoutMs }) ─▶ no new work; drain the work in flight for up to timeoutMs
 *                   (default gracefulShutdownTimeoutMs), then abort the `signal` of what is left and
 *                   report it ─▶ release the lease (kept to expire if anything was aborted) ─▶
 *                   stop caches and servers ─▶ start() resolves
 *     a Runnable throws ─▶ the same shutdown ─▶ start() rejects with its error
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfigLike } from '../client/kubeconfig.js';
import { type Clock, realClock, type TimerHandle } from '../clock.js';
import type { KubeObject } from '../api/object.js';
import { resourceId, type ResourceType } from '../api/resource.js';
import type { ListWatchSource } from '../cache/list-watch.js';
import { Informer, stripManagedFields } from '../cache/informer.js';
import type { IndexFunc } from '../cache/store.js';
import { KubeClient } from '../client/kube-client.js';
import { KubeListWatch, type KubeListWatchOptions } from '../client/list-watch.js';
import { ResourceMapper } from '../client/mapper.js';
import { RestClient, type RestClientOptions, type Transport } from '../client/rest-client.js';
import { ControllerRunner } from '../controller/runner.js';
import type { Controller } from '../controller/types.js';
import { LeaderElectionLostError } from '../errors.js';
import { type EventRecorder, KubeEventRecorder } from '../events/recorder.js';
import { type Check, listen, type RunningServer } from '../http/server.js';
import { LeaderElector, type LeaderElectionTimings } from '../leader/leader-elector.js';
import { KubeLeaseLock, type LeaseLock } from '../leader/lease-lock.js';
import type { Logger } from '../log/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { controllerRunnable, loopRunnable } from './adapters.js';
import { PeriodicRunner } from './periodic.js';
import type { ManagedRunnable, Periodic, Runnable, ShutdownReport } from './runnable.js';

export interface LeaderElectionOptions extends LeaderElectionTimings {
  /** Lease name, e.g. `workspace-controller`. */
  readonly leaseName: string;
  readonly leaseNamespace: string;
  /** Unique per process. Default: hostname + random suffix. */
  readonly identity?: string;
  /** Release the lease on graceful shutdown. Default true. */
  readonly releaseOnCancel?: boolean;
}

export interface ManagerOptions {
  /** Where the API server is and how to authenticate. Required unless `transport` is given. */
  readonly kubeConfig?: KubeConfigLike;
  /** The root logger; every component logs through a child of it. */
  readonly logger: Logger;
  /** Names this process in events and as the server-side-apply field manager. Default `controller-manager`. */
  readonly name?: string;
  readonly fieldManager?: string;
  /** Lease-based leader election; omit or `false` to reconcile without (one replica, tests). */
  readonly leaderElection?: LeaderElectionOptions | false;
  /** Port for `/metrics`; 0 picks a free one; `false` serves none. Default 8080. */
  readonly metricsPort?: number | false;
  /** Port for `/healthz` and `/readyz` (may equal metricsPort); `false` serves none. Default 8081. */
  readonly healthPort?: number | false;
  /** Address the endpoints bind to. Default `0.0.0.0`. */
  readonly bindAddress?: string;
  /** Client-side rate limit for the controllers' API calls. Default 20 QPS, burst 30. */
  readonly client?: { readonly qps?: number; readonly burst?: number };
  /** Re-deliver every cached object this often, so drift is corrected. Default 10 h. 0 disables. */
  readonly syncPeriodMs?: number;
  /**
   * How long shutdown waits for in-flight reconciles and periodic runs before aborting their
   * `signal` (controller-runtime's `GracefulShutdownTimeout`); `stop({ timeoutMs })` overrides it.
   * Default 30 s.
   */
  readonly gracefulShutdownTimeoutMs?: number;
  /** Node.js process metrics. Default true. */
  readonly processMetrics?: boolean;
  /**
   * Narrow a resource's cache to a namespace or selector (memory in big clusters), keyed by
   * `resourceId(resource)`, e.g. `{ 'Pod/v1': { labelSelector: 'kaito.sh/workspace' } }`. Objects
   * outside it are invisible to every controller of this manager.
   */
  readonly cacheSelectors?: Readonly<Record<string, KubeListWatchOptions>>;
  /** Transport for every API call (tests pass a `FakeApiServer`). Default: a `RestClient` on `kubeConfig`. */
  readonly transport?: Transport;
  /** List/watch source per resource (tests). Default: `KubeListWatch` over the transport. */
  readonly listWatchFor?: (resource: ResourceType) => ListWatchSource;
  /** Lease lock override (tests). */
  readonly leaseLock?: LeaseLock;
  readonly clock?: Clock;
  /** Called on every answered API request (count writes in tests). Only with `kubeConfig`. */
  readonly onResponse?: RestClientOptions['onResponse'];
}

export interface InformerOptions<T extends KubeObject> {
  readonly indexers?: Record<string, IndexFunc<T>>;
}

type ManagerState = 'new' | 'running' | 'stopping' | 'stopped';

export class Manager {
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Typed API calls (server-side apply, status, finalizers) with this manager's field manager. */
  readonly client: KubeClient;
  readonly transport: Transport;
  readonly identity: string;

  readonly #o: ManagerOptions;
  readonly #clock: Clock;
  readonly #mapper: ResourceMapper;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  readonly #runnables: ManagedRunnable[] = [];
  readonly #recorders = new Map<string, KubeEventRecorder>();
  readonly #healthChecks = new Map<string, Check>([['ping', () => undefined]]);
  readonly #readyChecks = new Map<string, Check>();
  readonly #servers: RunningServer[] = [];
  #state: ManagerState = 'new';
  #leader = false;
  #controllersStarted = false;
  #electionAbort = new AbortController();
  #stopRequested: (() => void) | undefined;
  #lost = false;
  #failure: { readonly error: unknown } | undefined;
  #stopTimeoutMs: number | undefined;
  #report: ShutdownReport = { notStopped: [] };
  #stopped: Promise<void> | undefined;
  #metricsUrl: string | undefined;
  #healthUrl: string | undefined;
  readonly #leaderWaiters: (() => void)[] = [];
  #leaseClient: RestClient | undefined;
  #elector: LeaderElector | undefined;

  constructor(options: ManagerOptions) {
    this.#o = options;
    this.name = options.name ?? 'controller-manager';
    this.logger = options.logger;
    this.#clock = options.clock ?? realClock;
    this.metrics = new Metrics({ processMetrics: options.processMetrics ?? true });
    const le = options.leaderElection;
    this.identity = (le ? le.identity : undefined) ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
    if (options.transport !== undefined) this.transport = options.transport;
    else if (options.kubeConfig !== undefined) {
      this.transport = new RestClient(options.kubeConfig, {
        qps: options.client?.qps ?? 20,
        burst: options.client?.burst ?? 30,
        metrics: this.metrics,
        userAgent: this.name,
        ...(options.onResponse ? { onResponse: options.onResponse } : {}),
      });
    } else throw new Error('Manager needs a kubeConfig (or a transport)');
    this.#mapper = new ResourceMapper(this.transport);
    this.client = new KubeClient(this.transport, { fieldManager: options.fieldManager ?? this.name, mapper: this.#mapper });
    this.#readyChecks.set('informers', () => {
      const pending = [...this.#informers.values()].filter((i) => !i.hasSynced).map((i) => i.id);
      if (pending.length > 0) throw new Error(`caches not synced: ${pending.join(', ')}`);
    });
  }

  /** The shared cache of `resource` (created on first use; the same instance for every caller). */
  informer<T extends KubeObject>(resource: ResourceType<T>, options: InformerOptions<T> = {}): Informer<T> {
    const id = resourceId(resource);
    let informer = this.#informers.get(id) as Informer<T> | undefined;
    if (informer === undefined) {
      this.#mapper.register(resource as ResourceType);
      informer = new Informer<T>({
        resource,
        source:
          this.#o.listWatchFor?.(resource as ResourceType) ??
          new KubeListWatch(this.transport, resource as ResourceType, this.#o.cacheSelectors?.[id] ?? {}),
        logger: this.logger,
        clock: this.#clock,
        metrics: this.metrics,
        resyncPeriodMs: this.#o.syncPeriodMs ?? 10 * 60 * 60 * 1000,
        transform: stripManagedFields,
      });
      this.#informers.set(id, informer as unknown as Informer<KubeObject>);
      if (this.#state === 'running') informer.start();
    }
    for (const [name, fn] of Object.entries(options.indexers ?? {})) informer.addIndexer(name, fn);
    return informer;
  }

  /** Register a controller; its watched resources get shared caches. Before `start` only. */
  add(controller: Controller): void {
    this.#checkNew('controller', controller.name);
    const runner = new ControllerRunner(controller, {
      logger: this.logger,
      metrics: this.metrics,
      clock: this.#clock,
      canReconcile: this.#canRun(controller.needLeaderElection ?? true),
    });
    this.#register(controllerRunnable(runner, () => this.#connect(runner)));
  }

  /**
   * Register a periodic task: a run once its caches have synced (and, by default, this replica
   * leads), then one `intervalMs` after each run ends. Before `start` only.
   */
  addPeriodic(task: Periodic): void {
    this.#checkNew('periodic task', task.name);
    this.#register(
      new PeriodicRunner(task, { logger: this.logger, metrics: this.metrics, clock: this.#clock, canRun: this.#canRun(task.needLeaderElection ?? true) }),
    );
  }

  /** Register a loop that runs until its `signal` aborts (controller-runtime's `Runnable`). Before `start` only. */
  addRunnable(runnable: Runnable): void {
    this.#checkNew('runnable', runnable.name);
    this.#register(
      loopRunnable(runnable, {
        logger: this.logger,
        onFailure: (error) => {
          this.#failure ??= { error };
          this.#stopRequested?.();
        },
      }),
    );
  }

  #checkNew(what: string, name: string): void {
    if (this.#state !== 'new') throw new Error(`add ${what} ${name} before starting the manager`);
    if (this.#runnables.some((r) => r.name === name)) throw new Error(`${name} added twice: controllers, periodic tasks and runnables need distinct names`);
  }

  #register(r: ManagedRunnable): void {
    for (const resource of r.caches) this.informer(resource);
    this.#runnables.push(r);
  }

  /** Leader-only work asks, before each unit, whether the lease is still valid. */
  #canRun(needLeaderElection: boolean): () => boolean {
    return needLeaderElection ? () => this.#elector?.holdsValidLease ?? this.#leader : () => true;
  }

  /** An event recorder reporting as `component` (default: the manager's name), deduplicating. */
  eventRecorder(component: string = this.name): EventRecorder {
    let r = this.#recorders.get(component);
    if (r === undefined) {
      r = new KubeEventRecorder(this.transport, { component, instance: this.identity, logger: this.logger, clock: this.#clock, metrics: this.metrics });
      this.#recorders.set(component, r);
    }
    return r;
  }

  addHealthCheck(name: string, check: Check): void {
    this.#healthChecks.set(name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.#readyChecks.set(name, check);
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** Resolves when this manager's leader-only runnables have started (it leads, or needs no election). */
  whenLeading(): Promise<void> {
    if (this.#controllersStarted) return Promise.resolve();
    return new Promise((resolve) => this.#leaderWaiters.push(resolve));
  }

  /** `http://host:port` of the metrics and health endpoints once started. */
  get metricsUrl(): string | undefined {
    return this.#metricsUrl;
  }

  get healthUrl(): string | undefined {
    return this.#healthUrl;
  }

  /**
   * Run until `signal` aborts, `stop()` is called or (with `handleSignals`) SIGTERM/SIGINT arrives,
   * then shut down gracefully and resolve. Rejects with LeaderElectionLostError when the lease was
   * lost: reconciling has already stopped; the process should exit.
   */
  async start(options: { signal?: AbortSignal; handleSignals?: boolean } = {}): Promise<void> {
    if (this.#state !== 'new') throw new Error('manager already started');
    this.#state = 'running';
    const stopRequested = new Promise<void>((resolve) => (this.#stopRequested = resolve));
    const onSignal = (sig: NodeJS.Signals): void => {
      this.logger.info('received signal, shutting down', { signal: sig });
      this.#stopRequested?.();
    };
    const onAbort = (): void => this.#stopRequested?.();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) this.#stopRequested?.();
    if (options.handleSignals) {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    let done!: () => void;
    this.#stopped = new Promise((resolve) => (done = resolve));
    let election: Promise<unknown> = Promise.resolve();
    try {
      await this.#serve();
      for (const informer of this.#informers.values()) informer.start();
      void this.#startRunnables(false);
      const le = this.#o.leaderElection;
      if (le) {
        const elector = new LeaderElector({
          lock: this.#o.leaseLock ?? new KubeLeaseLock(this.#leaseTransport(), le.leaseNamespace, le.leaseName),
          identity: this.identity,
          logger: this.logger,
          clock: this.#clock,
          metrics: this.metrics,
          ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
          ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
          ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
          // Not when work outlived the graceful shutdown timeout: it may still be writing, so a
          // standby must wait for the lease to expire (controller-runtime keeps it then too).
          releaseOnCancel: () => (le.releaseOnCancel ?? true) && this.#report.notStopped.length === 0,
          onStartedLeading: () => {
            this.#leader = true;
            void this.#startRunnables(true);
          },
          onStoppedLeading: () => {
            this.#leader = false;
            if (this.#state === 'running') {
              // Lost, not released: nothing leader-only may act from here on.
              this.#lost = true;
              const reason = new LeaderElectionLostError(`lost leader lease ${this.#leaseDescription()}`);
              for (const r of this.#runnables.filter((x) => x.needLeaderElection)) {
                r.abort(reason);
                void r.drain();
              }
              this.#stopRequested?.();
            }
          },
        });
        this.#elector = elector;
        election = elector.run(this.#electionAbort.signal);
      } else {
        this.#leader = true;
        void this.#startRunnables(true);
      }
      this.logger.info('manager started', { identity: this.identity, runnables: this.#runnables.map((r) => r.name) });
      await stopRequested;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      await this.#shutdown(election);
      done();
    }
    if (this.#lost) throw new LeaderElectionLostError(`lost leader lease ${this.#leaseDescription()}; stopped reconciling`);
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /**
   * Ask a running manager to shut down gracefully, draining work in flight for up to `timeoutMs`
   * (default `gracefulShutdownTimeoutMs`; 0 aborts it at once, as a crash would); resolves when it
   * has, with what had to be aborted. Only the first request's timeout counts.
   */
  async stop(options: { readonly timeoutMs?: number } = {}): Promise<ShutdownReport> {
    if (this.#state === 'running') this.#stopTimeoutMs ??= options.timeoutMs;
    this.#stopRequested?.();
    await this.#stopped;
    return this.#report;
  }

  async #shutdown(election: Promise<unknown>): Promise<void> {
    this.#state = 'stopping';
    const timeoutMs = this.#stopTimeoutMs ?? this.#o.gracefulShutdownTimeoutMs ?? 30_000;
    const notStopped = await this.#drain(timeoutMs);
    this.#report = { notStopped };
    if (notStopped.length > 0) this.logger.warn('still running after the graceful shutdown timeout; aborted', { timeoutMs, runnables: notStopped });
    // Only now give the lease away: nothing of ours is acting any more.
    this.#electionAbort.abort();
    await election;
    await Promise.all([...this.#recorders.values()].map((r) => r.flush()));
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
    await Promise.all(this.#servers.map((s) => s.close()));
    if (this.transport instanceof RestClient) await this.transport.close();
    await this.#leaseClient?.close();
    this.#state = 'stopped';
    this.logger.info('manager stopped', { identity: this.identity });
  }

  /** Drain every runnable for up to `timeoutMs`, then abort the rest; returns their names. */
  async #drain(timeoutMs: number): Promise<string[]> {
    const pending = new Set(this.#runnables);
    const drained = Promise.all(
      this.#runnables.map((r) =>
        r
          .drain()
          .catch(() => undefined)
          .then(() => pending.delete(r)),
      ),
    );
    // The timer is on the injected clock (tests drive it), whose real timers do not hold the
    // process open; this one does, so the process stays up to finish its shutdown.
    const keepAlive = setInterval(() => undefined, 60_000);
    let timer: TimerHandle | undefined;
    try {
      await Promise.race([drained, new Promise<void>((resolve) => (timer = this.#clock.setTimeout(resolve, timeoutMs)))]);
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      clearInterval(keepAlive);
    }
    for (const r of pending) r.abort(new Error(`${r.name}: graceful shutdown timed out after ${timeoutMs} ms`));
    return [...pending].map((r) => r.name);
  }

  /** Start the leader-only runnables (`leaderOnly`) or the others, each once its caches have synced. */
  async #startRunnables(leaderOnly: boolean): Promise<void> {
    const signal = this.#electionAbort.signal;
    await Promise.all(
      this.#runnables
        .filter((r) => r.needLeaderElection === leaderOnly)
        .map(async (r) => {
          try {
            await Promise.all(r.caches.map((resource) => this.informer(resource).waitForSync(signal)));
          } catch {
            return; // stopping before the caches synced
          }
          if (this.#state !== 'running' || (leaderOnly && !this.#leader)) return;
          r.start();
          this.logger.info('runnable started', { runnable: r.name });
        }),
    );
    if (!leaderOnly) return;
    this.#controllersStarted = true;
    for (const w of this.#leaderWaiters.splice(0)) w();
  }

  /** Hook a controller's watches to its queue. */
  #connect(runner: ControllerRunner): void {
    for (const w of runner.controller.watches) {
      const enqueue = (obj: KubeObject): void => {
        for (const key of w.mapToKeys(obj)) runner.enqueue(key);
      };
      this.informer(w.resource).addEventHandler({
        onAdd: (obj) => {
          if (w.predicate === undefined || w.predicate({ type: 'add', obj })) enqueue(obj);
        },
        onUpdate: (old, obj) => {
          if (w.predicate !== undefined && !w.predicate({ type: 'update', obj, old })) return;
          // A changed mapping (label or owner moved) must reach the old key too.
          if (old !== obj) for (const key of w.mapToKeys(old)) runner.enqueue(key);
          enqueue(obj);
        },
        onDelete: (obj) => {
          if (w.predicate === undefined || w.predicate({ type: 'delete', obj })) enqueue(obj);
        },
      });
    }
  }

  async #serve(): Promise<void> {
    const host = this.#o.bindAddress ?? '0.0.0.0';
    const metricsPort = this.#o.metricsPort ?? 8080;
    const healthPort = this.#o.healthPort ?? 8081;
    const health = { healthChecks: this.#healthChecks, readyChecks: this.#readyChecks };
    if (metricsPort !== false && metricsPort === healthPort && metricsPort !== 0) {
      const s = await listen(metricsPort, host, { registry: this.metrics.registry, ...health });
      this.#servers.push(s);
      this.#metricsUrl = this.#healthUrl = s.url;
      return;
    }
    if (metricsPort !== false) {
      const s = await listen(metricsPort, host, { registry: this.metrics.registry });
      this.#servers.push(s);
      this.#metricsUrl = s.url;
    }
    if (healthPort !== false) {
      const s = await listen(healthPort, host, health);
      this.#servers.push(s);
      this.#healthUrl = s.url;
    }
  }

  /** Leader election gets its own client (own rate limiter): a busy controller must not starve renewals. */
  #leaseTransport(): Transport {
    if (this.#o.transport !== undefined || this.#o.kubeConfig === undefined) return this.transport;
    this.#leaseClient = new RestClient(this.#o.kubeConfig, { qps: 5, burst: 10, metrics: this.metrics, userAgent: `${this.name}-leader-election` });
    return this.#leaseClient;
  }

  #leaseDescription(): string {
    const le = this.#o.leaderElection;
    return le ? `${le.leaseNamespace}/${le.leaseName}` : '';
  }
}
