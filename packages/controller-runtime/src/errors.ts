/**
 * The errors this package throws, and the one place that classifies Kubernetes API errors.
 *
 * API failures are client-node's `ApiException` (status `code`, decoded `V1Status` `body`), from our
 * own REST client and from any generated client-node API alike, so callers classify both the same way.
 * Values that fail their codec throw `DecodeError` from `@kaito-ts/core`.
 */
import { codedError, hasCode } from '@kaito-ts/core';
// The module, not the package root (see client/rest-client.ts): same class, a fraction of the memory.
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';

/**
 * Thrown by a reconciler for a problem retrying cannot fix (an invalid spec). The controller logs
 * and counts it but does not requeue the key; the next change to the object enqueues it again.
 */
export class TerminalError extends codedError('Terminal') {}

/** This process stopped being the leader; the manager stopped reconciling. Exit and restart. */
export class LeaderElectionLostError extends codedError('LeaderElectionLost') {}

/** An object already has a different controller ownerReference (only one may be the controller). */
export class AlreadyOwnedError extends codedError('AlreadyOwned') {}

/** The request never got an HTTP answer: refused, reset, timed out, DNS. Always retryable. */
export class TransportError extends codedError('Transport') {}

/** A watch ended with an `ERROR` event or a non-200 answer; `status` is the server's code. */
export class WatchError extends codedError('Watch') {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Kubernetes `metav1.StatusReason` values this package distinguishes. */
export const StatusReason = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Forbidden: 'Forbidden',
  Invalid: 'Invalid',
  Expired: 'Expired',
  Gone: 'Gone',
  TooManyRequests: 'TooManyRequests',
  Unauthorized: 'Unauthorized',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

interface ApiFailure {
  readonly status: number;
  readonly reason: string | undefined;
  readonly message: string | undefined;
}

function bodyOf(body: unknown): { reason?: unknown; message?: unknown } | undefined {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof body === 'object' && body !== null ? body : undefined;
}

/** The HTTP status and Status reason behind an error, following `cause` chains; else undefined. */
export function apiFailureOf(err: unknown): ApiFailure | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof ApiException) {
      const body = bodyOf(e.body);
      return {
        status: e.code,
        reason: typeof body?.reason === 'string' ? body.reason : undefined,
        message: typeof body?.message === 'string' ? body.message : undefined,
      };
    }
    if (e instanceof WatchError) return { status: e.status, reason: e.reason, message: e.message };
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

const is =
  (status: number, reason?: (r: string | undefined) => boolean) =>
  (err: unknown): boolean => {
    const f = apiFailureOf(err);
    return f !== undefined && f.status === status && (reason === undefined || reason(f.reason));
  };

export const isNotFound = is(404);
/** 409 for a stale resourceVersion (optimistic concurrency); requeue, don't report. */
export const isConflict = is(409, (r) => r !== StatusReason.AlreadyExists);
export const isAlreadyExists = is(409, (r) => r === StatusReason.AlreadyExists);
export const isForbidden = is(403);
export const isUnauthorized = is(401);
export const isInvalid = is(422);
/** 410: a watch or list asked for a resourceVersion the server has compacted away; relist. */
export const isGone = is(410);
export const isTooManyRequests = is(429);

/** Worth retrying as is: no answer at all, 429, or a 5xx. */
export function isTransient(err: unknown): boolean {
  const f = apiFailureOf(err);
  if (f === undefined) return hasCode(err, 'Transport');
  return f.status === 429 || f.status >= 500;
}

export const isTerminal = (err: unknown): boolean => hasCode(err, 'Terminal');

/** For `.catch(ignoreNotFound)`: swallows exactly NotFound, rethrows the rest. */
export function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}

export function ignoreAlreadyExists(err: unknown): undefined {
  if (isAlreadyExists(err)) return undefined;
  throw err;
}

/** A short, log-safe description: `409 Conflict: the object has been modified`. */
export function describeError(err: unknown): string {
  const f = apiFailureOf(err);
  if (f !== undefined) return `${f.status}${f.reason ? ` ${f.reason}` : ''}${f.message ? `: ${f.message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
