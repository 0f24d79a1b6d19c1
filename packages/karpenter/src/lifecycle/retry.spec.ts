import { makeNodeRequest } from '../testing/factories.js';
import { DEFAULT_LIFECYCLE_OPTIONS } from './options.js';
import { formatLaunchRetry, isStandingTerminal, LAUNCH_RETRY_ANNOTATION, launchRetryOf, nextLaunchRetry, retryDelayMs, terminalLaunchRetry } from './retry.js';

const now = new Date('2025-01-01T00:00:00Z');
const withRecord = (value: string) => makeNodeRequest('nodeclaim', { metadata: { annotations: { [LAUNCH_RETRY_ANNOTATION]: value } } });

describe('retryDelayMs', () => {
  it.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [5, 480_000],
    [6, 600_000],
    [100, 600_000],
  ])('waits after failure %i for %i ms (30 s doubling, capped at 10 min)', (attempt, ms) => {
    expect(retryDelayMs(attempt, DEFAULT_LIFECYCLE_OPTIONS.capacityRetry)).toBe(ms);
  });
});

describe('nextLaunchRetry', () => {
  it('starts at attempt 1 with the schedule of the failure’s kind', () => {
    expect(nextLaunchRetry(undefined, 'capacity', now, DEFAULT_LIFECYCLE_OPTIONS)).toEqual({ retry: { attempt: 1, notBefore: now.getTime() + 30_000, at: now.getTime() }, delayMs: 30_000 });
    expect(nextLaunchRetry(undefined, 'transient', now, DEFAULT_LIFECYCLE_OPTIONS).delayMs).toBe(1_000);
  });

  it('counts on from the recorded attempt', () => {
    expect(nextLaunchRetry({ attempt: 2, notBefore: 0 }, 'transient', now, DEFAULT_LIFECYCLE_OPTIONS)).toEqual({ retry: { attempt: 3, notBefore: now.getTime() + 4_000, at: now.getTime() }, delayMs: 4_000 });
  });
});

describe('launchRetryOf', () => {
  it('reads back what formatLaunchRetry wrote', () => {
    const retry = { attempt: 4, notBefore: now.getTime() + 1_500, at: now.getTime() - 500 };
    expect(launchRetryOf(withRecord(formatLaunchRetry(retry)))).toEqual(retry);
  });

  it('reads a record written before the attempt time was kept, and one with an unparsable attempt time, without it', () => {
    expect(launchRetryOf(withRecord('{"attempt":2,"notBefore":"2025-01-01T00:00:00Z"}'))).toEqual({ attempt: 2, notBefore: now.getTime() });
    expect(launchRetryOf(withRecord('{"attempt":2,"notBefore":"2025-01-01T00:00:00Z","at":"then"}'))).toEqual({ attempt: 2, notBefore: now.getTime() });
  });

  it('reads back a terminal record with the generation it holds for', () => {
    const retry = terminalLaunchRetry({ attempt: 2, notBefore: 0 }, now, 3);
    expect(formatLaunchRetry(retry)).toBe('{"attempt":3,"notBefore":"2025-01-01T00:00:00.000Z","at":"2025-01-01T00:00:00.000Z","terminal":true,"generation":3}');
    expect(launchRetryOf(withRecord(formatLaunchRetry(retry)))).toEqual(retry);
    expect([isStandingTerminal(retry, 3), isStandingTerminal(retry, 4), isStandingTerminal({ attempt: 1, notBefore: 0 }, 3)]).toEqual([true, false, false]);
  });

  it('is undefined without a record', () => {
    expect(launchRetryOf(makeNodeRequest('nodeclaim'))).toBeUndefined();
  });

  it.each([
    ['not JSON', 'soon'],
    ['a wrong shape', '{"attempts":1}'],
    ['attempt 0', '{"attempt":0,"notBefore":"2025-01-01T00:00:00Z"}'],
    ['a fractional attempt', '{"attempt":1.5,"notBefore":"2025-01-01T00:00:00Z"}'],
    ['an unparsable time', '{"attempt":1,"notBefore":"tomorrow"}'],
  ])('ignores a record with %s', (_name, value) => {
    expect(launchRetryOf(withRecord(value))).toBeUndefined();
  });
});
