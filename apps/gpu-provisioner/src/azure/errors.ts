/**
 * ARM failures → @kaito-ts/karpenter's typed errors. Classified by HTTP status and ARM error code
 * (the body's `error.code` and its `details[].code`), never by message text: messages are for
 * people and change without notice. Each result says what failed, where, and what to do; the
 * lifecycle puts it on the claim's Launched condition.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { InsufficientCapacityError, InvalidRequestError, NotFoundError, QuotaExceededError, SkuUnavailableError, TransientError } from '@kaito-ts/karpenter';

/** ARM throttled us (429): no ARM call before `retryAfterMs` from now. */
export class ThrottledError extends TransientError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** What an ARM failure says, read from an SDK RestError (or anything shaped like one). */
export interface ArmFailure {
  readonly status?: number;
  readonly code?: string;
  /** Codes and targets of `error.details[]`. */
  readonly details: readonly { readonly code?: string; readonly target?: string; readonly message?: string }[];
  readonly message: string;
  /** The Retry-After header, as sent. */
  readonly retryAfter?: string;
}

/**
 * Error bodies by request, kept by `armErrorBodyPolicy`: the SDK's long-running-operation helper
 * builds its RestError from the status alone, dropping the body's `details` (where
 * `OperationNotAllowed` says it is about quota), so the pipeline keeps the body for classification.
 */
const errorBodies = new WeakMap<object, unknown>();

/** A pipeline policy (added by `createArmClient`) that keeps the parsed body of every failed ARM response. */
export const armErrorBodyPolicy: PipelinePolicy = {
  name: 'kaitoArmErrorBody',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status >= 400 && typeof response.bodyAsText === 'string' && response.bodyAsText !== '') {
      try {
        errorBodies.set(request, JSON.parse(response.bodyAsText) as unknown);
      } catch {
        // Not JSON: nothing to keep.
      }
    }
    return response;
  },
};

interface RestErrorLike {
  request?: object;
  statusCode?: unknown;
  code?: unknown;
  details?: unknown;
  message?: unknown;
  response?: { headers?: { get?(name: string): string | undefined }; bodyAsText?: string | null; request?: object };
}

const asRecord = (u: unknown): Record<string, unknown> | undefined => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined);
const str = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined);

/**
 * The ARM error body `{error:{code,message,details}}` from the SDK's parsed details and the raw
 * body: the SDK's deserialized form may drop `details`, so each field comes from the first place
 * that has it.
 */
function armBody(e: RestErrorLike): { code?: string; message?: string; details: unknown[] } {
  const fromDetails = asRecord(e.details);
  const request = e.request ?? e.response?.request;
  const kept = asRecord(request !== undefined ? errorBodies.get(request) : undefined);
  const candidates: unknown[] = [fromDetails?.['error'], fromDetails, kept?.['error'], kept];
  const text = e.response?.bodyAsText;
  if (typeof text === 'string' && text !== '') {
    try {
      const parsed = asRecord(JSON.parse(text) as unknown);
      candidates.push(parsed?.['error'], parsed);
    } catch {
      // Not JSON (a gateway's HTML page): the status alone classifies it.
    }
  }
  const records = candidates.map(asRecord).filter((c): c is Record<string, unknown> => c !== undefined);
  const code = records.map((c) => str(c['code'])).find((c) => c !== undefined);
  const message = records.map((c) => str(c['message'])).find((m) => m !== undefined);
  const details = records.map((c) => c['details']).find((d): d is unknown[] => Array.isArray(d)) ?? [];
  return { ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}), details };
}

function detailOf(d: Record<string, unknown>): ArmFailure['details'][number] {
  const code = str(d['code']);
  const target = str(d['target']);
  const message = str(d['message']);
  return { ...(code !== undefined ? { code } : {}), ...(target !== undefined ? { target } : {}), ...(message !== undefined ? { message } : {}) };
}

/** Reads an SDK error; undefined when `err` is not an HTTP failure (a network error, an abort). */
export function armFailureOf(err: unknown): ArmFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as RestErrorLike;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const body = armBody(e);
  const code = body.code ?? str(e.code);
  if (status === undefined && body.code === undefined) return undefined;
  const details = body.details.map(asRecord).flatMap((d) => (d === undefined ? [] : [detailOf(d)]));
  const retryAfter = e.response?.headers?.get?.('retry-after');
  return {
    ...(status !== undefined ? { status } : {}),
    ...(code !== undefined ? { code } : {}),
    details,
    message: body.message ?? str(e.message) ?? '',
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  };
}

/** Retry-After: delta-seconds or an HTTP date; default when absent or unreadable; never negative. */
export function retryAfterMs(header: string | undefined, now: Date, defaultMs: number): number {
  if (header === undefined || header.trim() === '') return defaultMs;
  const t = header.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? defaultMs : Math.max(0, at - now.getTime());
}

export interface ArmCallContext {
  /** `create`, `get`, `list`, `delete`. */
  readonly operation: string;
  readonly pool?: string;
  readonly vmSize?: string;
  readonly location: string;
  readonly now: Date;
}

const QUOTA_CODES = new Set(['QuotaExceeded', 'InsufficientVCPUQuota', 'InsufficientQuota']);
const CAPACITY_CODES = new Set(['AllocationFailed', 'ZonalAllocationFailed', 'OverconstrainedAllocationRequest', 'OverconstrainedZonalAllocationRequest']);
const NOT_FOUND_CODES = new Set(['NotFound', 'ResourceNotFound', 'AgentPoolNotFound']);
/** @azure/identity's error classes (by name: the provider may see them through a wrapped credential). */
const AUTH_ERRORS = new Set(['AuthenticationError', 'CredentialUnavailableError', 'AuthenticationRequiredError', 'AggregateAuthenticationError']);
/** Without Retry-After, wait this long after a 429. */
export const DEFAULT_THROTTLE_MS = 10_000;

/** The typed error for an ARM failure (the SDK error kept as `cause`). */
export function classifyArmError(err: unknown, ctx: ArmCallContext): Error {
  const what = `${ctx.operation} agent pool${ctx.pool !== undefined ? ` ${ctx.pool}` : 's'}`;
  if (err instanceof Error && AUTH_ERRORS.has(err.name)) {
    return new TransientError(
      `${what}: cannot get an Entra token for ARM (${err.name}); check the workload identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE) and its federated credential`,
      { cause: err },
    );
  }
  const f = armFailureOf(err);
  if (f === undefined) return new TransientError(`${what}: ARM unreachable or the call was cut short; will retry`, { cause: err });
  const codes = [f.code, ...f.details.map((d) => d.code)];
  const tag = `(HTTP ${f.status ?? '?'} ${f.code ?? 'no code'})`;
  const size = ctx.vmSize ?? 'the requested VM size';
  if (f.status === 404 || (f.code !== undefined && NOT_FOUND_CODES.has(f.code))) return new NotFoundError(`${what}: not found ${tag}`, { cause: err });
  if (f.status === 429) {
    const ms = retryAfterMs(f.retryAfter, ctx.now, DEFAULT_THROTTLE_MS);
    return new ThrottledError(`${what}: ARM is throttling this subscription ${tag}; next call after ${Math.ceil(ms / 1000)} s (Retry-After)`, ms, { cause: err });
  }
  if ((f.code !== undefined && QUOTA_CODES.has(f.code)) || (f.code === 'OperationNotAllowed' && f.details.some((d) => d.code !== undefined && QUOTA_CODES.has(d.code)))) {
    const target = f.details.find((d) => d.target !== undefined)?.target;
    const which = f.code === 'InsufficientVCPUQuota' ? `regional vCPU quota in ${ctx.location}` : `${target ?? 'VM family'} vCPU quota in ${ctx.location}`;
    return new QuotaExceededError(
      `${what}: ${size} exceeds the subscription's ${which} ${tag}; request a quota increase (Azure portal → Quotas → Compute, region ${ctx.location}) or choose another VM size: ${f.message}`,
      { cause: err },
    );
  }
  if (codes.includes('SkuNotAvailable')) {
    return new SkuUnavailableError(`${what}: ${size} is not available to this subscription in ${ctx.location} ${tag}; choose another VM size or region (az vm list-skus -l ${ctx.location} --size ${ctx.vmSize ?? '<size>'})`, {
      cause: err,
    });
  }
  if (codes.some((c) => c !== undefined && CAPACITY_CODES.has(c))) {
    return new InsufficientCapacityError(`${what}: Azure has no capacity for ${size} in ${ctx.location} right now ${tag}; it will be retried, or allow another VM size or zone`, { cause: err });
  }
  // Terminal (Launched=False, InvalidRequest; no retry until the claim changes): ARM rejected the
  // parameters, and sending the same body again cannot succeed.
  if (f.code === 'InvalidParameter' || f.code === 'BadRequest' || (f.status === 400 && f.code !== 'OperationNotAllowed')) {
    const target = f.details.find((d) => d.target !== undefined)?.target;
    return new InvalidRequestError(`${what}: ARM rejected the request${target !== undefined ? ` (parameter ${target})` : ''} ${tag}: ${f.message}; fix the claim or the provisioner settings`, { cause: err });
  }
  if (f.status === 409 || f.code === 'OperationNotAllowed' || f.code === 'Conflict' || f.code === 'AnotherOperationInProgress') {
    return new TransientError(`${what}: another operation is in progress on the pool or cluster ${tag}; will retry`, { cause: err });
  }
  if (f.status === 401 || f.status === 403) {
    return new TransientError(`${what}: ARM refused the provisioner's identity ${tag}; check the federated credential and its role on the cluster: ${f.message}`, { cause: err });
  }
  if (f.status !== undefined && f.status >= 500) return new TransientError(`${what}: ARM server error ${tag}; will retry`, { cause: err });
  return new TransientError(`${what}: unexpected ARM answer ${tag}: ${f.message}`, { cause: err });
}
