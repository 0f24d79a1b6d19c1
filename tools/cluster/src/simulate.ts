/**
 * Pod outcomes the kwok stages in tools/cluster/stages can simulate. Put the annotation on a pod
 * (or a pod template) scheduled to a fake node and kwok gives it that status instead of Ready.
 */
export const SIMULATE_ANNOTATION = 'kaito-ts.dev/simulate';
/** Termination message for the simulated exit (CrashLoopBackOff, OOMKilled, Failed, ImagePullBackOff). */
export const SIMULATE_MESSAGE_ANNOTATION = 'kaito-ts.dev/simulate-message';
/** Exit code of the simulated termination (defaults: 1; OOMKilled 137). */
export const SIMULATE_EXIT_CODE_ANNOTATION = 'kaito-ts.dev/simulate-exit-code';
/** A Job pod stays Running this long (Go duration, e.g. "20s") before it succeeds. */
export const COMPLETE_AFTER_ANNOTATION = 'kaito-ts.dev/complete-after';

export const SIMULATED_OUTCOMES = ['CrashLoopBackOff', 'OOMKilled', 'ImagePullBackOff', 'Failed'] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

export interface SimulateOptions {
  readonly message?: string;
  readonly exitCode?: number;
}

/** The annotations that make a pod simulate `outcome`. */
export function simulateAnnotations(outcome: SimulatedOutcome, opts: SimulateOptions = {}): Record<string, string> {
  return {
    [SIMULATE_ANNOTATION]: outcome,
    ...(opts.message !== undefined ? { [SIMULATE_MESSAGE_ANNOTATION]: opts.message } : {}),
    ...(opts.exitCode !== undefined ? { [SIMULATE_EXIT_CODE_ANNOTATION]: String(opts.exitCode) } : {}),
  };
}
