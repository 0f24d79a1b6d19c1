import { RestError } from '@azure/core-rest-pipeline';
import { classifyLaunchError, isInsufficientCapacityError, isInvalidRequestError, isNotFoundError, isQuotaExceededError, isSkuUnavailableError, isTransientError } from '@kaito-ts/karpenter';
import { armFailureOf, classifyArmError, DEFAULT_THROTTLE_MS, retryAfterMs, ThrottledError } from './errors.js';

const now = new Date('2026-01-02T03:04:05Z');
const ctx = { operation: 'create', pool: 'ws1', vmSize: 'Standard_NC24ads_A100_v4', location: 'eastus', now };

/** An SDK error as @azure/core-client builds it from an ARM error response. */
function armError(status: number, code: string, options: { details?: unknown[]; headers?: Record<string, string>; message?: string } = {}): RestError {
  const body = { error: { code, message: options.message ?? `text that must not matter ${code}`, ...(options.details !== undefined ? { details: options.details } : {}) } };
  const headers = new Map(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const err = new RestError(body.error.message, {
    code,
    statusCode: status,
    response: { status, headers: { get: (n: string) => headers.get(n.toLowerCase()) } as never, request: {} as never, bodyAsText: JSON.stringify(body) },
  });
  return err;
}

const quotaDetail = [{ code: 'QuotaExceeded', target: 'standardNCADSA100v4Family', message: 'x' }];

describe('classifyArmError', () => {
  it.each([
    ['404', armError(404, 'ResourceNotFound'), isNotFoundError, /not found/],
    ['code NotFound on another status', armError(400, 'NotFound'), isNotFoundError, /not found/],
    ['QuotaExceeded', armError(400, 'QuotaExceeded', { details: quotaDetail }), isQuotaExceededError, /standardNCADSA100v4Family vCPU quota in eastus.*request a quota increase/],
    ['OperationNotAllowed with quota details', armError(400, 'OperationNotAllowed', { details: quotaDetail }), isQuotaExceededError, /standardNCADSA100v4Family vCPU quota in eastus/],
    ['InsufficientVCPUQuota', armError(400, 'InsufficientVCPUQuota'), isQuotaExceededError, /regional vCPU quota in eastus/],
    ['SkuNotAvailable', armError(400, 'SkuNotAvailable'), isSkuUnavailableError, /Standard_NC24ads_A100_v4 is not available .* in eastus.*choose another VM size or region/],
    ['AllocationFailed', armError(409, 'AllocationFailed'), isInsufficientCapacityError, /no capacity for Standard_NC24ads_A100_v4 in eastus/],
    ['ZonalAllocationFailed', armError(409, 'ZonalAllocationFailed'), isInsufficientCapacityError, /no capacity/],
    ['OverconstrainedAllocationRequest', armError(409, 'OverconstrainedAllocationRequest'), isInsufficientCapacityError, /no capacity/],
    ['OperationNotAllowed in progress (409)', armError(409, 'OperationNotAllowed'), isTransientError, /another operation is in progress/],
    ['plain 409', armError(409, 'Conflict'), isTransientError, /another operation is in progress/],
    ['500', armError(500, 'InternalServerError'), isTransientError, /ARM server error \(HTTP 500 InternalServerError\)/],
    ['503', armError(503, 'ServiceUnavailable'), isTransientError, /ARM server error/],
    ['403', armError(403, 'AuthorizationFailed'), isTransientError, /refused the provisioner's identity/],
  ] as const)('%s', (_what, err, is, message) => {
    const typed = classifyArmError(err, ctx);
    expect(is(typed)).toBe(true);
    expect(typed.message).toMatch(message);
    expect(typed.cause).toBe(err);
  });

  it('reads the code, not the message: a quota-sounding message with a server-error code is transient', () => {
    const typed = classifyArmError(armError(500, 'InternalServerError', { message: 'QuotaExceeded SkuNotAvailable AllocationFailed' }), ctx);
    expect(isTransientError(typed)).toBe(true);
    expect(isQuotaExceededError(typed)).toBe(false);
  });

  it.each([
    ['InvalidParameter (400)', armError(400, 'InvalidParameter', { details: [{ code: 'InvalidParameter', target: 'agentPoolName' }] })],
    ['InvalidParameter with a 409 status', armError(409, 'InvalidParameter', { details: [{ code: 'InvalidParameter', target: 'agentPoolName' }] })],
  ])('%s becomes the terminal InvalidRequestError naming the parameter, which the lifecycle does not retry', (_name, err) => {
    const typed = classifyArmError(err, ctx);
    expect(isInvalidRequestError(typed)).toBe(true);
    expect(typed.message).toMatch(/parameter agentPoolName/);
    expect(classifyLaunchError(typed)).toEqual({ reason: 'InvalidRequest', kind: 'terminal' });
  });

  it('429 carries the Retry-After delay (seconds or an HTTP date), or a default', () => {
    const secs = classifyArmError(armError(429, 'TooManyRequests', { headers: { 'Retry-After': '17' } }), ctx);
    expect(secs).toBeInstanceOf(ThrottledError);
    expect(isTransientError(secs)).toBe(true);
    expect((secs as ThrottledError).retryAfterMs).toBe(17_000);
    expect(secs.message).toMatch(/next call after 17 s/);
    const date = classifyArmError(armError(429, 'TooManyRequests', { headers: { 'Retry-After': new Date(now.getTime() + 5000).toUTCString() } }), ctx);
    expect((date as ThrottledError).retryAfterMs).toBe(5000);
    expect((classifyArmError(armError(429, 'TooManyRequests'), ctx) as ThrottledError).retryAfterMs).toBe(DEFAULT_THROTTLE_MS);
  });

  it('a network failure or an identity failure is transient, with what to check', () => {
    expect(isTransientError(classifyArmError(new Error('socket hang up'), ctx))).toBe(true);
    const auth = Object.assign(new Error('AADSTS700211'), { name: 'AuthenticationError', statusCode: 400 });
    const typed = classifyArmError(auth, ctx);
    expect(isTransientError(typed)).toBe(true);
    expect(typed.message).toMatch(/cannot get an Entra token.*AZURE_FEDERATED_TOKEN_FILE/);
  });
});

describe('armFailureOf / retryAfterMs', () => {
  it('reads status, code and details from the body', () => {
    expect(armFailureOf(armError(400, 'OperationNotAllowed', { details: quotaDetail }))).toMatchObject({ status: 400, code: 'OperationNotAllowed', details: [{ code: 'QuotaExceeded', target: 'standardNCADSA100v4Family' }] });
    expect(armFailureOf('nope')).toBeUndefined();
  });
  it.each([
    [undefined, 1000],
    ['', 1000],
    ['3', 3000],
    ['garbage', 1000],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
  ])('Retry-After %j → %i ms', (h, ms) => expect(retryAfterMs(h, now, 1000)).toBe(ms));
});
