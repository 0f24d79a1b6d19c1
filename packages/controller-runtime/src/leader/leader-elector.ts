/**
 * Leader election on a Lease, as client-go's leaderelection:
 *
 * - A candidate takes the lease when there is none, when it is released (empty holder), or when
 *   the holder has not renewed it for `leaseDuration` — measured on this process's own clock from
 *   when it last saw the record change, so clock skew between nodes does not matter.
 * - The leader renews every `retryPeriod`. If it cannot renew for `renewDeadline` (< leaseDuration),
 *   or finds another holder, it stops leading at once: before anyone else may take over.
 * - On cancel it releases the lease (empty holder, 1 s duration) so a standby takes over at its
 *   next retry instead of waiting out the lease.
 *
 * A standby therefore takes over within `leaseDuration` of the last time it saw the leader renew
 * (plus at most one `retryPeriod` between the leader's last renewal and that sighting).
 */
import { type Clock, jittered, realClock, sleep } from '../clock.js';
import { describeError, isAlreadyExists, isConflict } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { type LeaderElectionRecord, type LeaseLock, microTime, type ObservedRecord } from './lease-lock.js';

export interface LeaderElectionTimings {
  /** How long a lease is valid without renewal; what standbys wait out. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. Default 2 s. */
  readonly retryPeriodMs?: number;
}

export interface LeaderElectorOptions extends LeaderElectionTimings {
  readonly lock: LeaseLock;
  /** Unique per process: pod name + random suffix. */
  readonly identity: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Release the lease when `run`'s signal aborts (asked then, when a function). Default true. */
  readonly releaseOnCancel?: boolean | (() => boolean);
  readonly onStartedLeading: () => void;
  /** Called once when leadership ends for any reason (lost, released). */
  readonly onStoppedLeading: () => void;
  readonly onNewLeader?: (identity: string) => void;
  readonly random?: () => number;
}

export type ElectionOutcome = 'lost' | 'released' | 'cancelled';

type Attempt = { readonly ok: true } | { readonly ok: false; readonly heldBy?: string };

export class LeaderElector {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly #o: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  #observed: ObservedRecord | undefined;
  #observedAt = 0;
  #leader = false;
  #lastRenew = 0;
  #reportedLeader = '';

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs && this.retryPeriodMs > 0)) {
      throw new RangeError(
        `leader election needs leaseDuration > renewDeadline > retryPeriod > 0, got ${this.leaseDurationMs}/${this.renewDeadlineMs}/${this.retryPeriodMs} ms`,
      );
    }
    if (this.leaseDurationMs % 1000 !== 0) throw new RangeError(`leaseDurationMs must be whole seconds (Lease stores seconds), got ${this.leaseDurationMs}`);
    this.#clock = options.clock ?? realClock;
    this.#log = options.logger.child({ lease: options.lock.describe(), identity: options.identity });
    this.#random = options.random ?? Math.random;
    options.metrics?.leaderStatus.set({ name: options.lock.describe() }, 0);
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /**
   * Leading, and the last renewal is recent enough that no one else can hold the lease yet. False
   * right after a long pause of this process (GC, CPU starvation), before the renew loop has even
   * had a chance to notice: work must not start then.
   */
  get holdsValidLease(): boolean {
    return this.#leader && this.#clock.now() - this.#lastRenew < this.renewDeadlineMs;
  }

  /** The holder this process last saw ('' when none). */
  get observedLeader(): string {
    return this.#observed?.record.holderIdentity ?? '';
  }

  /**
   * Campaign until leading, lead until the lease is lost or `signal` aborts. Resolves `lost` when
   * leadership was lost (the caller should stop work and exit), `released` after a clean release
   * on cancel, `cancelled` when cancelled before ever leading.
   */
  async run(signal: AbortSignal): Promise<ElectionOutcome> {
    if (!(await this.#acquire(signal))) return 'cancelled';
    this.#setLeader(true);
    try {
      this.#o.onStartedLeading();
    } catch (err) {
      this.#log.error('onStartedLeading failed', { error: describeError(err) });
    }
    const outcome = await this.#renewLoop(signal);
    if (outcome === 'released') await this.#release();
    this.#setLeader(false);
    this.#o.onStoppedLeading();
    return outcome;
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    this.#log.info('waiting to acquire leader lease');
    while (!signal.aborted) {
      const attempt = await this.#tryAcquireOrRenew(signal, this.#clock.now() + this.renewDeadlineMs);
      if (attempt.ok) {
        this.#log.info('acquired leader lease');
        return true;
      }
      // Retry at the jittered period, but no later than when the observed lease runs out.
      let delay = jittered(this.retryPeriodMs, 0.2, this.#random);
      const r = this.#observed?.record;
      if (r !== undefined && r.holderIdentity !== '') {
        const expiresIn = this.#observedAt + r.leaseDurationSeconds * 1000 - this.#clock.now();
        delay = Math.min(delay, Math.max(1, expiresIn + 1));
      }
      try {
        await sleep(this.#clock, delay, signal);
      } catch {
        return false;
      }
    }
    return false;
  }

  async #renewLoop(signal: AbortSignal): Promise<ElectionOutcome> {
    for (;;) {
      try {
        await sleep(this.#clock, this.retryPeriodMs, signal);
      } catch {
        return 'released';
      }
      const deadline = this.#lastRenew + this.renewDeadlineMs;
      const attempt = await this.#tryAcquireOrRenew(signal, deadline);
      if (signal.aborted) return 'released';
      if (attempt.ok) continue;
      if (attempt.heldBy !== undefined) {
        this.#log.error('leader lease taken by another process, stopping', { holder: attempt.heldBy });
        return 'lost';
      }
      if (this.#clock.now() >= deadline) {
        this.#log.error('could not renew leader lease within the renew deadline, stopping', { renewDeadlineMs: this.renewDeadlineMs });
        return 'lost';
      }
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal, deadline: number): Promise<Attempt> {
    const lock = this.#o.lock;
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(new Error('leader election request timed out')), Math.max(1, deadline - this.#clock.now()));
    const onAbort = (): void => timeout.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const now = this.#clock.now();
    const mine: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationMs / 1000,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      const current = await lock.get(timeout.signal);
      if (current === undefined) {
        this.#saw(await lock.create(mine, timeout.signal));
        this.#lastRenew = now;
        return { ok: true };
      }
      this.#saw(current);
      const r = current.record;
      const heldByOther = r.holderIdentity !== '' && r.holderIdentity !== this.identity;
      if (heldByOther && this.#observedAt + r.leaseDurationSeconds * 1000 > this.#clock.now()) {
        return { ok: false, heldBy: r.holderIdentity };
      }
      const next: LeaderElectionRecord =
        r.holderIdentity === this.identity
          ? { ...mine, acquireTime: r.acquireTime, leaseTransitions: r.leaseTransitions }
          : { ...mine, leaseTransitions: r.leaseTransitions + 1 };
      this.#saw(await lock.update(next, current.resourceVersion, timeout.signal));
      // From when the write was sent, not answered: a standby may have seen it land any time
      // after that, and counts its lease duration from then.
      this.#lastRenew = now;
      return { ok: true };
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        this.#log.debug('lost a race for the leader lease', { error: describeError(err) });
      } else if (!signal.aborted) {
        this.#log.warn('leader lease request failed', { error: describeError(err) });
      }
      return { ok: false };
    } finally {
      this.#clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Remembers a record and, if it changed, when this process saw it change. */
  #saw(o: ObservedRecord): void {
    const prev = this.#observed;
    if (prev === undefined || prev.resourceVersion !== o.resourceVersion) {
      this.#observed = o;
      this.#observedAt = this.#clock.now();
    }
    const holder = o.record.holderIdentity;
    if (holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      if (holder !== '') {
        this.#log.info('new leader observed', { leader: holder });
        this.#o.onNewLeader?.(holder);
      }
    }
  }

  async #release(): Promise<void> {
    const release = this.#o.releaseOnCancel;
    if (release === false || (typeof release === 'function' && !release())) return;
    // Bounded: a release must not hold up shutdown when the API server is unreachable.
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(new Error('release timed out')), this.renewDeadlineMs);
    try {
      // Read it fresh: a renewal cancelled mid-flight may still have landed and moved the resourceVersion.
      for (let attempt = 0; ; attempt++) {
        const o = await this.#o.lock.get(timeout.signal);
        if (o === undefined || o.record.holderIdentity !== this.identity) return;
        const now = microTime(this.#clock.now());
        try {
          await this.#o.lock.update(
            { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: o.record.leaseTransitions },
            o.resourceVersion,
            timeout.signal,
          );
          this.#log.info('released leader lease');
          return;
        } catch (err) {
          if (!isConflict(err) || attempt >= 2) throw err;
        }
      }
    } catch (err) {
      this.#log.warn('could not release leader lease; standbys will wait for it to expire', { error: describeError(err) });
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #setLeader(leader: boolean): void {
    this.#leader = leader;
    const name = this.#o.lock.describe();
    this.#o.metrics?.leaderStatus.set({ name }, leader ? 1 : 0);
    this.#o.metrics?.leaderTransitions.inc({ name });
  }
}
