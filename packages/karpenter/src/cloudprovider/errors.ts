/**
 * The errors a CloudProvider throws, each a `CodedError` with a literal `code`, and the one place
 * they are classified. The lifecycle reads only these codes; anything else is treated as
 * transient (retried with backoff, reason `LaunchFailed`).
 */
import { codedError, codeIn } from '@kaito-ts/core';
import { Reasons } from '../constants.js';

const CODES = ['NotFound', 'InsufficientCapacity', 'QuotaExceeded', 'SkuUnavailable', 'InvalidRequest', 'Transient'] as const;
export type CloudProviderErrorCode = (typeof CODES)[number];

/** The instance does not exist (any more). `delete` must throw it once the instance is gone. */
export class NotFoundError extends codedError('NotFound') {}

/** The cloud has no capacity for the instance type now (stock-out, zonal/regional allocation failure). */
export class InsufficientCapacityError extends codedError('InsufficientCapacity') {}

/** The subscription/account quota for this instance family or region is used up. */
export class QuotaExceededError extends codedError('QuotaExceeded') {}

/** The instance type does not exist or is not offered in this region/subscription. */
export class SkuUnavailableError extends codedError('SkuUnavailable') {}

/**
 * The request can never launch as written: the cloud rejected its parameters (Azure's
 * `InvalidParameter`), or its name or an annotation cannot be turned into a valid instance.
 * Terminal: `Launched=False, InvalidRequest` and no retry until the request changes (its spec,
 * i.e. `metadata.generation`) or its retry record is removed by hand (docs/provisioners.md).
 */
export class InvalidRequestError extends codedError('InvalidRequest') {}

/** A failure worth retrying soon (throttling, 5xx, a timeout, an operation already in progress). */
export class TransientError extends codedError('Transient') {}

/** The provider's code on `err` or along its `cause` chain (providers wrap SDK errors as `cause`). */
const codeOf = (err: unknown): CloudProviderErrorCode | undefined => codeIn(err, CODES);

export const isNotFoundError = (err: unknown): boolean => codeOf(err) === 'NotFound';
export const isInsufficientCapacityError = (err: unknown): boolean => codeOf(err) === 'InsufficientCapacity';
export const isQuotaExceededError = (err: unknown): boolean => codeOf(err) === 'QuotaExceeded';
export const isSkuUnavailableError = (err: unknown): boolean => codeOf(err) === 'SkuUnavailable';
export const isInvalidRequestError = (err: unknown): boolean => codeOf(err) === 'InvalidRequest';
export const isTransientError = (err: unknown): boolean => codeOf(err) === 'Transient';

/** For `.catch(ignoreNotFoundError)`: swallows exactly NotFound. */
export function ignoreNotFoundError(err: unknown): undefined {
  if (isNotFoundError(err)) return undefined;
  throw err;
}

export type LaunchFailureKind = 'capacity' | 'terminal' | 'transient';

export interface LaunchErrorClass {
  /** The Launched condition's reason. */
  readonly reason: string;
  /**
   * `capacity`: the cloud said no (quota, stock-out, unknown SKU). Launched=False with the reason;
   * retried on a slow schedule. `terminal`: the request is invalid as written. Launched=False with
   * the reason; not retried until the request changes. `transient`: Launched=Unknown,
   * LaunchFailed; retried with the work queue's per-key backoff.
   */
  readonly kind: LaunchFailureKind;
}

/** How the lifecycle treats an error thrown by `create`. */
export function classifyLaunchError(err: unknown): LaunchErrorClass {
  switch (codeOf(err)) {
    case 'QuotaExceeded':
      return { reason: Reasons.quotaExceeded, kind: 'capacity' };
    case 'InsufficientCapacity':
      return { reason: Reasons.insufficientCapacity, kind: 'capacity' };
    case 'SkuUnavailable':
      return { reason: Reasons.skuUnavailable, kind: 'capacity' };
    case 'InvalidRequest':
      return { reason: Reasons.invalidRequest, kind: 'terminal' };
    default:
      return { reason: Reasons.launchFailed, kind: 'transient' };
  }
}

/** A one-line, log-safe description of an error and its causes. */
export function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}
