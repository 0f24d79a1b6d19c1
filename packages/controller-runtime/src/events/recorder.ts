/**
 * Kubernetes Events for what a user should see in `kubectl describe`, published fire-and-forget
 * (never blocking or failing a reconcile) and deduplicated: the same object, type, reason and
 * message within the window is sent once (Karpenter's recorder does the same), so a reconcile
 * loop retrying every few seconds does not flood the API server.
 */
import { type Clock, realClock } from '../clock.js';
import type { KubeObject } from '../api/object.js';
import { collectionPath, Resources } from '../api/resource.js';
import type { Transport } from '../client/rest-client.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';

export type EventType = 'Normal' | 'Warning';

export interface Event {
  readonly involvedObject: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>;
  readonly type: EventType;
  /** CamelCase, specific: `QuotaExceeded`, `NodeClaimLaunched`. */
  readonly reason: string;
  /** What happened and what to do next. */
  readonly message: string;
  /** What was done (`Launch`, `Delete`); optional. */
  readonly action?: string;
  /** Dedupe on these instead of the message (e.g. when the message carries a changing number). */
  readonly dedupeValues?: readonly string[];
}

export interface EventRecorder {
  publish(...events: Event[]): void;
}

export interface KubeEventRecorderOptions {
  /** `source.component` / `reportingComponent`: the controller's name. */
  readonly component: string;
  /** `reportingInstance`: this process (pod name). */
  readonly instance?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Default 2 minutes. */
  readonly dedupeWindowMs?: number;
  /** Entries remembered for dedupe. Default 10,000. */
  readonly maxEntries?: number;
}

const MAX_MESSAGE = 1024;

export class KubeEventRecorder implements EventRecorder {
  readonly #transport: Transport;
  readonly #o: KubeEventRecorderOptions;
  readonly #clock: Clock;
  readonly #window: number;
  readonly #max: number;
  readonly #seen = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();

  constructor(transport: Transport, options: KubeEventRecorderOptions) {
    this.#transport = transport;
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#window = options.dedupeWindowMs ?? 120_000;
    this.#max = options.maxEntries ?? 10_000;
  }

  publish(...events: Event[]): void {
    for (const e of events) {
      if (this.#isDuplicate(e)) {
        this.#o.metrics?.eventsDeduplicated.inc({ reason: e.reason });
        continue;
      }
      const p = this.#send(e).finally(() => this.#pending.delete(p));
      this.#pending.add(p);
    }
  }

  /** Resolves when every event published so far has been sent (or failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  #isDuplicate(e: Event): boolean {
    const m = e.involvedObject.metadata;
    const key = [m.uid ?? `${m.namespace ?? ''}/${m.name}`, e.type, e.reason, ...(e.dedupeValues ?? [e.message])].join('\u0000');
    const now = this.#clock.now();
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return true;
    this.#seen.delete(key); // re-insert so Map order is oldest-first
    this.#seen.set(key, now + this.#window);
    if (this.#seen.size > this.#max) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    return false;
  }

  async #send(e: Event): Promise<void> {
    const obj = e.involvedObject;
    const namespace = obj.metadata.namespace || 'default';
    const now = this.#clock.now();
    const timestamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE - 3)}...` : e.message;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.${(now * 1_000_000 + Math.floor(Math.random() * 1_000_000)).toString(16)}`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
        ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
      },
      type: e.type,
      reason: e.reason,
      message,
      ...(e.action ? { action: e.action } : {}),
      source: { component: this.#o.component },
      reportingComponent: this.#o.component,
      reportingInstance: this.#o.instance ?? this.#o.component,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
    try {
      await this.#transport.request({ method: 'POST', path: collectionPath(Resources.Event, namespace), body });
      this.#o.metrics?.eventsPublished.inc({ type: e.type, reason: e.reason });
    } catch (err) {
      this.#o.logger.warn('could not publish event', { reason: e.reason, object: `${namespace}/${obj.metadata.name}`, error: describeError(err) });
    }
  }
}
