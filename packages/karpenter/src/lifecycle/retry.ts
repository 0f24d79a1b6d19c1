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
 * `kaito-ts.dev/launch-retry` annotation (`{"attempt":2,"notBefore":"…","at":"…"}`). So a
 * reconcile that comes early (the event of its own status write, a restart) waits out the rest of
 * the delay instead of calling `create` again, and a restart keeps the backoff. One thing ends the
 * wait early: a Node the provider ties to the request (`CloudProvider.nodeClaimKey`) created since
 * the last attempt (`at`): the instance has booted, so the next `create` is the one that succeeds.
 * One attempt per joining Node, so Node updates cannot turn it into a hot loop. Capacity failures
 * back off slowly (default 30 s doubling to 10 min), anything else fast (1 s doubling to 60 s);
 * the record is removed once the instance is launched. A terminal failure (InvalidRequestError)
 * writes a record with `"terminal":true` and the request's `generation`, and no delay: nothing is
 * retried while the record stands and the generation is the same, so a changed spec or the record
 * removed by hand (`kubectl annotate … kaito-ts.dev/launch-retry-`) launches again. The annotation is the record: the process
 * only remembers the last one it wrote until launched, for a reconcile that reads a cache that
 * has not seen it yet (launch.ts), and ignores one further ahead than the longest delay.
 */
import * as t from 'io-ts';
import type { NodeRequest } from '../node-request.js';
import type { LifecycleOptions, RetrySchedule } from './options.js';

export const LAUNCH_RETRY_ANNOTATION = 'kaito-ts.dev/launch-retry';

const LaunchRetryRecord = t.intersection([t.type({ attempt: t.number, notBefore: t.string }), t.partial({ at: t.string, terminal: t.boolean, generation: t.number })]);

export interface LaunchRetry {
  /** Failed `create` calls in a row (1 after the first). */
  readonly attempt: number;
  /** No `create` before this time (ms since epoch). */
  readonly notBefore: number;
  /**
   * When the last attempt failed (ms since epoch; absent in records written before it was kept).
   * A Node of the request's that joined since then ends the wait early (launch.ts).
   */
  readonly at?: number;
  /** The last failure was terminal: no `create` at all while the request's generation is `generation`. */
  readonly terminal?: { readonly generation?: number };
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
  if (Number.isNaN(notBefore)) return undefined;
  const at = parsed.at !== undefined ? Date.parse(parsed.at) : Number.NaN;
  const base = { attempt: parsed.attempt, notBefore, ...(Number.isNaN(at) ? {} : { at }) };
  if (parsed.terminal !== true) return base;
  return { ...base, terminal: parsed.generation !== undefined ? { generation: parsed.generation } : {} };
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
  return { retry: { attempt, notBefore: now.getTime() + delayMs, at: now.getTime() }, delayMs };
}

/** The record after a terminal failure of the request at `generation`: no delay, no retry while it stands. */
export function terminalLaunchRetry(previous: LaunchRetry | undefined, now: Date, generation: number | undefined): LaunchRetry {
  return { attempt: (previous?.attempt ?? 0) + 1, notBefore: now.getTime(), at: now.getTime(), terminal: generation !== undefined ? { generation } : {} };
}

/** Whether `retry` is a terminal record that still holds for a request at `generation` (its spec has not changed since). */
export function isStandingTerminal(retry: LaunchRetry | undefined, generation: number | undefined): boolean {
  return retry?.terminal !== undefined && retry.terminal.generation === generation;
}

/** The annotation value for `retry`. */
export function formatLaunchRetry(retry: LaunchRetry): string {
  const base = { attempt: retry.attempt, notBefore: new Date(retry.notBefore).toISOString(), ...(retry.at !== undefined ? { at: new Date(retry.at).toISOString() } : {}) };
  if (retry.terminal === undefined) return JSON.stringify(base);
  return JSON.stringify({ ...base, terminal: true, ...(retry.terminal.generation !== undefined ? { generation: retry.terminal.generation } : {}) });
}
