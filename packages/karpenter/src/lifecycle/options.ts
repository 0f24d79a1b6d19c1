/** Lifecycle settings. GPU pools take many minutes to launch and register, hence the long defaults. */

export interface LifecycleOptions {
  /**
   * A request whose launch has not succeeded this long after its first launch attempt (or after
   * launching resumed following a capacity failure) is deleted (Karpenter v1: 5 min from creation). Capacity failures (QuotaExceeded, InsufficientCapacity, SkuUnavailable) are exempt: the
   * request stays with its reason so the workspace shows it. 0 disables. Default 20 min.
   */
  readonly launchTimeoutMs: number;
  /** A launched request without a registered Node this long after launch is deleted (Karpenter: 15 min). 0 disables. Default 30 min. */
  readonly registrationTimeoutMs: number;
  /** Retry schedule after a capacity failure: first delay, doubling up to the cap. Default 30 s → 10 min. */
  readonly capacityRetry: { readonly initialMs: number; readonly maxMs: number };
  /** How often termination asks the provider whether the instance is gone. Default 5 s (Karpenter's). */
  readonly terminationPollMs: number;
  /** Poll interval while waiting for a Node to register or initialize, in case a watch event is missed. Default 30 s. */
  readonly registrationPollMs: number;
}

export const DEFAULT_LIFECYCLE_OPTIONS: LifecycleOptions = {
  launchTimeoutMs: 20 * 60_000,
  registrationTimeoutMs: 30 * 60_000,
  capacityRetry: { initialMs: 30_000, maxMs: 10 * 60_000 },
  terminationPollMs: 5_000,
  registrationPollMs: 30_000,
};

export function lifecycleOptions(overrides: Partial<LifecycleOptions> = {}): LifecycleOptions {
  return { ...DEFAULT_LIFECYCLE_OPTIONS, ...overrides };
}

/** Delay before capacity retry number `attempt` (1-based): initial × 2^(attempt−1), capped. */
export function capacityRetryDelayMs(attempt: number, retry: LifecycleOptions['capacityRetry']): number {
  const exp = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(retry.maxMs, retry.initialMs * 2 ** exp);
}
