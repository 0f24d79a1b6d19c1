/**
 * Where the leader record lives: a `coordination.k8s.io/v1` Lease. Writes carry the resourceVersion
 * read, so two candidates can never both win the same round: the slower one gets 409 Conflict.
 */
import * as t from 'io-ts';
import { decodeOrThrow, ObjectMeta } from '@kaito-ts/core';
import { collectionPath, objectPath, Resources } from '../api/resource.js';
import type { Transport } from '../client/rest-client.js';
import { ignoreNotFound } from '../errors.js';

export interface LeaderElectionRecord {
  /** Empty when released. */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

export interface ObservedRecord {
  readonly record: LeaderElectionRecord;
  readonly resourceVersion: string;
}

export interface LeaseLock {
  /** The current record, or undefined when there is no lease yet. */
  get(signal?: AbortSignal): Promise<ObservedRecord | undefined>;
  /** Create the lease; AlreadyExists if someone else just did. */
  create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<ObservedRecord>;
  /** Replace the record if it is still at `resourceVersion`; Conflict otherwise. */
  update(record: LeaderElectionRecord, resourceVersion: string, signal?: AbortSignal): Promise<ObservedRecord>;
  /** `namespace/name`, for logs. */
  describe(): string;
}

export const Lease = t.type({
  metadata: ObjectMeta,
  spec: t.partial({
    holderIdentity: t.string,
    leaseDurationSeconds: t.number,
    acquireTime: t.string,
    renewTime: t.string,
    leaseTransitions: t.number,
  }),
});
export type Lease = t.TypeOf<typeof Lease>;
const decodeLease = (body: unknown): Lease => decodeOrThrow(Lease, body, 'Lease');

function observed(lease: Lease): ObservedRecord {
  const s = lease.spec;
  return {
    resourceVersion: lease.metadata.resourceVersion ?? '',
    record: {
      holderIdentity: s.holderIdentity ?? '',
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      acquireTime: s.acquireTime ?? '',
      renewTime: s.renewTime ?? '',
      leaseTransitions: s.leaseTransitions ?? 0,
    },
  };
}

/** `metav1.MicroTime`: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class KubeLeaseLock implements LeaseLock {
  readonly #transport: Transport;
  readonly #namespace: string;
  readonly #name: string;

  constructor(transport: Transport, namespace: string, name: string) {
    this.#transport = transport;
    this.#namespace = namespace;
    this.#name = name;
  }

  describe(): string {
    return `${this.#namespace}/${this.#name}`;
  }

  async get(signal?: AbortSignal): Promise<ObservedRecord | undefined> {
    const raw = await this.#transport
      .request({ method: 'GET', path: objectPath(Resources.Lease, this.#name, this.#namespace), ...(signal ? { signal } : {}) })
      .catch(ignoreNotFound);
    return raw === undefined ? undefined : observed(decodeLease(raw));
  }

  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<ObservedRecord> {
    const raw = await this.#transport.request({
      method: 'POST',
      path: collectionPath(Resources.Lease, this.#namespace),
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#name, namespace: this.#namespace }, spec: record },
      ...(signal ? { signal } : {}),
    });
    return observed(decodeLease(raw));
  }

  async update(record: LeaderElectionRecord, resourceVersion: string, signal?: AbortSignal): Promise<ObservedRecord> {
    const raw = await this.#transport.request({
      method: 'PUT',
      path: objectPath(Resources.Lease, this.#name, this.#namespace),
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.#name, namespace: this.#namespace, resourceVersion },
        spec: record,
      },
      ...(signal ? { signal } : {}),
    });
    return observed(decodeLease(raw));
  }
}
