/**
 * Injected failures: each is a rule (which requests it hits) plus a kind (what ARM answers).
 * A rule with `times` is consumed as it fires (one-shot: `times: 1`); without it, it persists
 * until removed. Rules come from the config file at start and from `POST /admin/faults`.
 */
import * as t from 'io-ts';
import type { GpuSku } from '@kaito-ts/presets';
import { armError, type ArmResponse } from './arm-error.js';

export const FAULT_KINDS = [
  'QuotaExceeded',
  'OperationNotAllowedQuota',
  'InsufficientVCPUQuota',
  'SkuNotAvailable',
  'AllocationFailed',
  'ZonalAllocationFailed',
  'OverconstrainedAllocationRequest',
  'TooManyRequests',
  'InternalServerError',
  'SlowCreate',
  'StuckDelete',
  'Custom',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const kindCodec = t.keyof(Object.fromEntries(FAULT_KINDS.map((k) => [k, null])) as Record<FaultKind, null>, FAULT_KINDS.map((k) => `"${k}"`).join(' | '));
const methodCodec = t.keyof({ PUT: null, GET: null, DELETE: null, '*': null }, '"PUT" | "GET" | "DELETE" | "*"');
const positiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const nonNegativeInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');

/** A fault rule as written in the config file or posted to the admin API. */
export const FaultSpec = t.intersection(
  [
    t.exact(t.type({ kind: kindCodec })),
    t.exact(t.partial({
      /** Which requests it hits; default: the one the kind belongs to (PUT for create faults, DELETE for StuckDelete, `*` for 429/500). */
      method: methodCodec,
      /** Agent pool name; default any (and list requests for 429/500). */
      pool: t.string,
      /** vmSize of the pool being created (catalog name or alias); default any. */
      vmSize: t.string,
      /** Fire this many times, then disappear; default: until removed. */
      times: positiveInt,
      /** 429: the Retry-After header, seconds. Default 10. */
      retryAfterSeconds: nonNegativeInt,
      /** SlowCreate: how long the create takes. Default 60000. */
      delayMs: nonNegativeInt,
      /** AllocationFailed: `operation` fails the async operation after 201 (as Azure compute does); default `request` (the PUT itself fails). */
      phase: t.keyof({ request: null, operation: null }, '"request" | "operation"'),
      /** Custom: the HTTP status, ARM error code and message to answer with. */
      status: t.refinement(t.number, (n) => Number.isInteger(n) && n >= 400 && n <= 599, 'an HTTP error status 400–599'),
      code: t.string,
      message: t.string,
    })),
  ],
  'FaultSpec',
);
export type FaultSpec = t.TypeOf<typeof FaultSpec>;

export interface Fault extends FaultSpec {
  readonly id: string;
  /** Times it has fired. */
  fired: number;
}

/** What is being asked, for matching. `pool` is undefined for LIST and ManagedCluster GET. */
export interface RequestFacts {
  readonly method: 'PUT' | 'GET' | 'DELETE';
  readonly pool?: string;
  readonly vmSize?: string;
  /** PUT of a pool that does not exist yet (create faults hit creates only, not updates). */
  readonly creating?: boolean;
}

/** Kinds that hit only the PUT creating a pool. */
export const CREATE_FAULTS: readonly FaultKind[] = [
  'QuotaExceeded',
  'OperationNotAllowedQuota',
  'InsufficientVCPUQuota',
  'SkuNotAvailable',
  'AllocationFailed',
  'ZonalAllocationFailed',
  'OverconstrainedAllocationRequest',
  'SlowCreate',
];
/** Kinds that hit any request they match (reads, writes, deletes). */
export const ANY_REQUEST_FAULTS: readonly FaultKind[] = ['TooManyRequests', 'InternalServerError', 'Custom'];

function defaultMethod(kind: FaultKind): FaultSpec['method'] {
  if (CREATE_FAULTS.includes(kind)) return 'PUT';
  if (kind === 'StuckDelete') return 'DELETE';
  return '*';
}

export class FaultBook {
  readonly #faults: Fault[] = [];
  #next = 1;
  readonly #sameSku: (a: string, b: string) => boolean;

  /** `sameSku` says whether two vmSize names mean one SKU (aliases, case). */
  constructor(sameSku: (a: string, b: string) => boolean) {
    this.#sameSku = sameSku;
  }

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: `fault-${this.#next++}`, fired: 0 };
    this.#faults.push(fault);
    return fault;
  }

  list(): readonly Fault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const i = this.#faults.findIndex((f) => f.id === id);
    if (i >= 0) this.#faults.splice(i, 1);
    return i >= 0;
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /** The first rule that hits this request, consumed once (removed when its `times` are used up). */
  take(facts: RequestFacts, kinds?: readonly FaultKind[]): Fault | undefined {
    const fault = this.#faults.find((f) => (kinds === undefined || kinds.includes(f.kind)) && this.#matches(f, facts));
    if (fault === undefined) return undefined;
    fault.fired++;
    if (fault.times !== undefined && fault.fired >= fault.times) this.remove(fault.id);
    return { ...fault };
  }

  #matches(f: Fault, facts: RequestFacts): boolean {
    const method = f.method ?? defaultMethod(f.kind);
    if (method !== '*' && method !== facts.method) return false;
    if (CREATE_FAULTS.includes(f.kind) && facts.creating !== true) return false;
    if (f.pool !== undefined && f.pool !== facts.pool) return false;
    if (f.vmSize !== undefined && (facts.vmSize === undefined || !this.#sameSku(f.vmSize, facts.vmSize))) return false;
    return true;
  }
}

export interface FaultContext {
  readonly location: string;
  readonly vmSize: string;
  readonly sku?: GpuSku;
}

/**
 * The ARM response for a fault that fails the request itself. Codes and statuses are those AKS's
 * resource provider returns; quota messages carry the numbers ARM puts in them, so a provisioner
 * can tell the user which quota, where, and by how much.
 */
export function faultResponse(fault: Pick<FaultSpec, 'kind' | 'retryAfterSeconds' | 'status' | 'code' | 'message'>, ctx: FaultContext): ArmResponse | undefined {
  const cores = ctx.sku?.vcpu ?? 0;
  const family = familyOf(ctx.vmSize);
  const quotaMessage =
    `Operation could not be completed as it results in exceeding approved ${family} Cores quota. Additional details - ` +
    `Deployment Model: Resource Manager, Location: ${ctx.location}, Current Limit: 0, Current Usage: 0, Additional Required: ${cores}, ` +
    `(Minimum) New Limit Required: ${cores}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView`;
  switch (fault.kind) {
    case 'QuotaExceeded':
      return armError(400, { code: 'QuotaExceeded', message: quotaMessage, details: [{ code: 'QuotaExceeded', message: quotaMessage, target: family }] });
    case 'OperationNotAllowedQuota':
      return armError(400, {
        code: 'OperationNotAllowed',
        message: `Preflight validation check for resource(s) for container service failed. ${quotaMessage}`,
        details: [{ code: 'QuotaExceeded', message: quotaMessage, target: family }],
      });
    case 'InsufficientVCPUQuota':
      return armError(400, {
        code: 'InsufficientVCPUQuota',
        message: `Insufficient regional vcpu quota left for location ${ctx.location}. left regional vcpu quota 0, requested quota ${cores}. Submit a request for Quota increase.`,
        details: [{ code: 'QuotaExceeded', message: quotaMessage, target: 'cores' }],
      });
    case 'ZonalAllocationFailed':
      return armError(409, {
        code: 'ZonalAllocationFailed',
        message: `Allocation failed. We do not have sufficient capacity for the requested VM size ${ctx.vmSize} in this zone of ${ctx.location}. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance`,
      });
    case 'OverconstrainedAllocationRequest':
      return armError(409, {
        code: 'OverconstrainedAllocationRequest',
        message: `Allocation failed. VM(s) with the following constraints cannot be allocated, because the condition is too restrictive: VM size ${ctx.vmSize}, location ${ctx.location}. Please remove some constraints and try again.`,
      });
    case 'Custom': {
      const status = fault.status ?? 500;
      return armError(status, { code: fault.code ?? 'InternalServerError', message: fault.message ?? `Injected ${status} (simulated).` }, fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : undefined);
    }
    case 'SkuNotAvailable':
      return armError(400, {
        code: 'SkuNotAvailable',
        message: `The requested VM size ${ctx.vmSize} is currently not available in location '${ctx.location}'. Please try another size or deploy to a different location or zones. See https://aka.ms/azureskunotavailable for details.`,
      });
    case 'AllocationFailed':
      return armError(409, allocationFailed(ctx));
    case 'TooManyRequests': {
      const seconds = fault.retryAfterSeconds ?? 10;
      return armError(
        429,
        { code: 'TooManyRequests', message: `The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow. Retry after ${seconds} seconds.` },
        { 'Retry-After': String(seconds) },
      );
    }
    case 'InternalServerError':
      return armError(500, { code: 'InternalServerError', message: 'An internal server error occurred. Please try again later (simulated).' });
    default:
      return undefined;
  }
}

export function allocationFailed(ctx: FaultContext): { code: string; message: string } {
  return {
    code: 'AllocationFailed',
    message: `Allocation failed. We do not have sufficient capacity for the requested VM size ${ctx.vmSize} in this region (${ctx.location}). Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance`,
  };
}

/** `standardNCADSA100v4Family` from `Standard_NC24ads_A100_v4`, the way Azure names quota families. */
export function familyOf(vmSize: string): string {
  const m = /^Standard_([A-Z]+)\d*([a-z]*)(?:_([A-Z0-9]+))?(?:_(v\d+))?$/.exec(vmSize);
  if (m === null) return `${vmSize} Family`;
  const [, series = '', suffix = '', gpu = '', version = ''] = m;
  return `standard${series}${suffix.toUpperCase()}${gpu}${version}Family`;
}
