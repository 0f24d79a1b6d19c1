/**
 * The lifecycle's one retry clock is the controller's work queue. A reconcile never sleeps and
 * keeps no timer or attempt count in memory; it ends in one of two ways:
 *
 * | what happened                                   | how it comes back                            |
 * |-------------------------------------------------|----------------------------------------------|
 * | a wait it can name (a launch retry, a liveness  | returns `requeueAfterMs` (the soonest of the |
 * | deadline, a termination or registration poll)   | aspects'); the queue's timer wakes it        |
 * | a failure nobody recorded (an API error, a      | throws; the queue's per-key backoff retries  |
 * | provider list/get/delete error)                 | it                                           |
 *
 * A failed `create` is the first kind: its reason goes on the Launched condition (where the
 * workspace reads it) and the retry schedule goes on the request itself, in the
 * `kaito-ts.dev/launch-retry` annotation (`{"attempt":2,"notBefore":"…"}`). So a reconcile that
 * comes early (the event of its own status write, a Node event, a restart) waits out the rest of
 * the delay instead of calling `create` again, and a restart keeps the backoff. Capacity failures
 * back off slowly (default 30 s doubling to 10 min), anything else fast (1 s doubling to 60 s);
 * the record is removed once the instance is launched. The annotation is the record: the process
 * only remembers the last one it wrote until launched, for a reconcile that reads a cache that
 * has not seen it yet (launch.ts), and ignores one further ahead than the longest delay.
 */
import * as t from 'io-ts';
import type { NodeRequest } from '../node-request.js';
import type { LifecycleOptions, RetrySchedule } from './options.js';

export const LAUNCH_RETRY_ANNOTATION = 'kaito-ts.dev/launch-retry';

const LaunchRetryRecord = t.type({ attempt: t.number, notBefore: t.string });

export interface LaunchRetry {
  /** Failed `create` calls in a row (1 after the first). */
  readonly attempt: number;
  /** No `create` before this time (ms since epoch). */
  readonly notBefore: number;
}

/** Delay after failed attempt number `attempt` (1-based): initial × 2^(attempt−1), capped. */
export function retryDelayMs(attempt: number, schedule: RetrySchedule): number {
  const exp = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(schedule.maxMs, schedule.initialMs * 2 ** exp);
}

/**
 * The request's retry record, if it carries a valid one. A malformed record (edited by hand) is
 * ignored: the launch is tried now and the record written anew.
 */
export function launchRetryOf(r: Pick<NodeRequest, 'metadata'>): LaunchRetry | undefined {
  const raw = r.metadata.annotations?.[LAUNCH_RETRY_ANNOTATION];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!LaunchRetryRecord.is(parsed) || !Number.isInteger(parsed.attempt) || parsed.attempt < 1) return undefined;
  const notBefore = Date.parse(parsed.notBefore);
  return Number.isNaN(notBefore) ? undefined : { attempt: parsed.attempt, notBefore };
}

/** The record after one more failed attempt of this kind, and the delay it sets. */
export function nextLaunchRetry(
  previous: LaunchRetry | undefined,
  kind: 'capacity' | 'transient',
  now: Date,
  options: Pick<LifecycleOptions, 'capacityRetry' | 'transientRetry'>,
): { readonly retry: LaunchRetry; readonly delayMs: number } {
  const attempt = (previous?.attempt ?? 0) + 1;
  const delayMs = retryDelayMs(attempt, kind === 'capacity' ? options.capacityRetry : options.transientRetry);
  return { retry: { attempt, notBefore: now.getTime() + delayMs }, delayMs };
}

/** The annotation value for `retry`. */
export function formatLaunchRetry(retry: LaunchRetry): string {
  return JSON.stringify({ attempt: retry.attempt, notBefore: new Date(retry.notBefore).toISOString() });
}
