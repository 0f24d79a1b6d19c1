/** Lifecycle settings. GPU pools take many minutes to launch and register, hence the long defaults. */

/** A doubling delay: `initialMs` after the first failure, twice that after the next, up to `maxMs`. */
export interface RetrySchedule {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface LifecycleOptions {
  /**
   * A request whose launch has not succeeded this long after its first launch attempt (or after
   * launching resumed following a capacity failure) is deleted (Karpenter v1: 5 min from creation). Capacity failures (QuotaExceeded, InsufficientCapacity, SkuUnavailable) are exempt: the
   * request stays with its reason so the workspace shows it. 0 disables. Default 20 min.
   */
  readonly launchTimeoutMs: number;
  /** A launched request without a registered Node this long after launch is deleted (Karpenter: 15 min). 0 disables. Default 30 min. */
  readonly registrationTimeoutMs: number;
  /** Retry schedule after a capacity failure: first delay, doubling up to the cap. Default 30 s → 10 min (see retry.ts). */
  readonly capacityRetry: RetrySchedule;
  /** Retry schedule after any other failed `create` (Karpenter's lifecycle limiter). Default 1 s → 60 s. */
  readonly transientRetry: RetrySchedule;
  /** How often termination asks the provider whether the instance is gone. Default 5 s (Karpenter's). */
  readonly terminationPollMs: number;
  /** Poll interval while waiting for a Node to register or initialize, in case a watch event is missed. Default 30 s. */
  readonly registrationPollMs: number;
}

export const DEFAULT_LIFECYCLE_OPTIONS: LifecycleOptions = {
  launchTimeoutMs: 20 * 60_000,
  registrationTimeoutMs: 30 * 60_000,
  capacityRetry: { initialMs: 30_000, maxMs: 10 * 60_000 },
  transientRetry: { initialMs: 1_000, maxMs: 60_000 },
  terminationPollMs: 5_000,
  registrationPollMs: 30_000,
};

export function lifecycleOptions(overrides: Partial<LifecycleOptions> = {}): LifecycleOptions {
  return { ...DEFAULT_LIFECYCLE_OPTIONS, ...overrides };
}
