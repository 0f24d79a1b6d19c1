/**
 * The parts of a Pod the process kubelet reads, typed over the wire format (timestamps are
 * strings here, unlike @kubernetes/client-node's classes). Spec types come from client-node.
 */
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

export interface PodMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
  readonly deletionGracePeriodSeconds?: number;
  readonly resourceVersion?: string;
}

export interface Pod {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: PodMeta;
  readonly spec: V1PodSpec;
  readonly status?: { readonly phase?: string; readonly conditions?: readonly PodCondition[]; readonly [k: string]: unknown };
}

export interface PodCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly lastTransitionTime?: string;
  readonly reason?: string;
  readonly message?: string;
}

export type Container = V1Container;

/** Reads the objects a pod refers to; `undefined` when one does not exist. */
export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined>;
  /** Values decoded from base64. */
  secret(namespace: string, name: string): Promise<Readonly<Record<string, Buffer>> | undefined>;
  /** A token for the pod's service account (projected serviceAccountToken). */
  serviceAccountToken(namespace: string, serviceAccount: string, audience: string | undefined, expirationSeconds: number): Promise<string>;
}

/** A container cannot be started until the pod or what it refers to changes (kubelet: CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  readonly code = 'CreateContainerConfigError' as const;
}

/** A volume cannot be set up yet (kubelet: FailedMount; the pod stays ContainerCreating). */
export class VolumeSetupError extends Error {
  readonly code = 'FailedMount' as const;
}

export const podKey = (p: { metadata: { namespace: string; name: string } }): string => `${p.metadata.namespace}/${p.metadata.name}`;
