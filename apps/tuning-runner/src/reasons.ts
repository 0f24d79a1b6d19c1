import { Reason as WorkspaceReason } from '@kaito-ts/api';

/**
 * Reasons the runner reports in its termination message and progress file. The workspace
 * controller copies them into the `WorkspaceSucceeded` condition, so they are part of the wire
 * contract: add, never rename. They come from the Workspace API's `Reason`; docs/tuning.md says
 * what a user should do for each.
 */
export const Reasons = {
  TuningSucceeded: WorkspaceReason.TuningSucceeded,
  DownloadFailed: WorkspaceReason.DownloadFailed,
  InvalidDataset: WorkspaceReason.InvalidDataset,
  TrainerFailed: WorkspaceReason.TrainerFailed,
  PushUnauthorized: WorkspaceReason.PushUnauthorized,
  PushFailed: WorkspaceReason.PushFailed,
  InvalidSettings: WorkspaceReason.InvalidSettings,
  InvalidConfig: WorkspaceReason.InvalidConfig,
  OOMKilled: WorkspaceReason.OOMKilled,
  Terminated: WorkspaceReason.Terminated,
  InvalidAdapter: WorkspaceReason.InvalidAdapter,
  OutputFailed: WorkspaceReason.OutputFailed,
  InternalError: WorkspaceReason.InternalError,
} as const;
export type Reason = (typeof Reasons)[keyof typeof Reasons];

/**
 * Process exit code per reason. The termination message is the primary channel; distinct exit
 * codes keep the reason visible when only the container status survives (e.g. `kubectl get pod`).
 */
export const ExitCodes: Readonly<Record<Reason, number>> = {
  TuningSucceeded: 0,
  InvalidSettings: 2,
  InvalidConfig: 3,
  DownloadFailed: 4,
  InvalidDataset: 5,
  TrainerFailed: 6,
  OOMKilled: 7,
  Terminated: 8,
  InvalidAdapter: 9,
  PushUnauthorized: 10,
  PushFailed: 11,
  OutputFailed: 12,
  InternalError: 1,
};

/** Phases a run passes through, in order; the progress file and termination message carry one. */
export const Phases = {
  Starting: 'Starting',
  Downloading: 'Downloading',
  Converting: 'Converting',
  Training: 'Training',
  Verifying: 'Verifying',
  Pushing: 'Pushing',
  Copying: 'Copying',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
} as const;
export type Phase = (typeof Phases)[keyof typeof Phases];
