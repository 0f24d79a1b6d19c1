import { ApiException } from '@kubernetes/client-node';
import {
  describeError,
  ignoreNotFound,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTerminal,
  isTransient,
  TerminalError,
  TransportError,
  WatchError,
} from './errors.js';

const api = (code: number, reason: string) => new ApiException(code, reason, { kind: 'Status', code, reason, message: `${reason} happened` }, {});

describe('error classification', () => {
  it.each([
    ['NotFound', api(404, 'NotFound'), isNotFound],
    ['Conflict', api(409, 'Conflict'), isConflict],
    ['AlreadyExists', api(409, 'AlreadyExists'), isAlreadyExists],
    ['Forbidden', api(403, 'Forbidden'), isForbidden],
    ['Invalid', api(422, 'Invalid'), isInvalid],
    ['Gone', api(410, 'Expired'), isGone],
  ])('recognises %s from an ApiException', (_name, err, predicate) => {
    expect(predicate(err)).toBe(true);
  });

  it('does not mistake AlreadyExists for a Conflict', () => {
    expect(isConflict(api(409, 'AlreadyExists'))).toBe(false);
  });

  it('reads a Status body that arrives as a JSON string', () => {
    const err = new ApiException(409, 'x', JSON.stringify({ reason: 'AlreadyExists' }), {});
    expect(isAlreadyExists(err)).toBe(true);
  });

  it('finds the API failure behind wrapping errors', () => {
    const wrapped = new Error('creating nodeclaim', { cause: new Error('inner', { cause: api(404, 'NotFound') }) });
    expect(isNotFound(wrapped)).toBe(true);
  });

  it('recognises a 410 from a watch ERROR event', () => {
    expect(isGone(new WatchError('too old', 410, 'Expired'))).toBe(true);
  });

  it.each([
    ['a transport error', new TransportError('ECONNREFUSED'), true],
    ['429', api(429, 'TooManyRequests'), true],
    ['503', api(503, 'ServiceUnavailable'), true],
    ['404', api(404, 'NotFound'), false],
    ['a plain error', new Error('boom'), false],
  ])('classifies %s as transient: %s', (_name, err, expected) => {
    expect(isTransient(err)).toBe(expected);
  });

  it('recognises a TerminalError wrapped in another error', () => {
    expect(isTerminal(new Error('reconcile', { cause: new TerminalError('bad spec') }))).toBe(true);
  });

  it('swallows NotFound and rethrows anything else in ignoreNotFound', () => {
    expect(ignoreNotFound(api(404, 'NotFound'))).toBeUndefined();
    expect(() => ignoreNotFound(api(403, 'Forbidden'))).toThrow();
  });

  it('describes an API error by code, reason and message', () => {
    expect(describeError(api(409, 'Conflict'))).toBe('409 Conflict: Conflict happened');
  });

  it('gives every error class a literal code and keeps its cause', () => {
    const cause = new Error('root');
    const err = new TerminalError('bad', { cause });
    expect([err.code, err.cause]).toEqual(['Terminal', cause]);
  });
});
