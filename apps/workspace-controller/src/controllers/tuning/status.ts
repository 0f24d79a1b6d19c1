/**
 * The status of a tuning Workspace (a pure planner), from what was observed: the pre-flight
 * verdict, the node requests, the Job and its pods, the runner's termination message and its
 * progress report.
 *
 * | condition | True | False |
 * |---|---|---|
 * | `InputsReady` (ours) | `InputsReady` | the pre-flight's reason (`InputUrlRefused`, `PushSecretNotFound`, …) |
 * | `ResourceReady` | `NodesReady` | the node request's reason; `NodesReleased` after the Job ended |
 * | `JobStarted` | `JobStarted` (its pod runs, or ran) | `JobPending` |
 * | `WorkspaceSucceeded` | `TuningSucceeded` | the runner's reason (`InvalidDataset`, `PushUnauthorized`, …), else the pod's or Job's (`OOMKilled`, `ImagePullBackOff`, `Unschedulable`, `JobDeadlineExceeded`, `JobFailed`), else `JobPending` |
 * | `WorkspaceReady` | tuning succeeded | the first condition that is not True |
 *
 * `state`: Pending → Running (the pod runs) → Succeeded | Failed. `status.tuning`: the runner's
 * phase, step/maxSteps, epoch and loss while it runs; the pushed image and digest at the end.
 * Nothing claims more than is true: a Job that is only created is not "started", a run without a
 * termination message says so.
 */
import * as t from 'io-ts';
import { ConditionType, Reason, setCondition, WorkspaceState, type Condition, type TuningStatus, type Workspace, type WorkspaceStatus } from '@kaito-ts/api';
import { decode } from '@kaito-ts/core';
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import { podHealth } from '../workspace/pod-health.js';
import { TUNING_CONTAINER } from './job.js';
import type { PreflightVerdict } from './preflight.js';

/** The runner's termination message (apps/tuning-runner `TerminationMessage`), decoded where it enters. */
export const TerminationReport = t.intersection(
  [t.type({ phase: t.string, reason: t.string, message: t.string }), t.partial({ image: t.string, digest: t.string, step: t.number, loss: t.number })],
  'TerminationReport',
);
export type TerminationReport = t.TypeOf<typeof TerminationReport>;

/** The runner's progress JSON (its progress file, also written to the progress ConfigMap). */
export const ProgressReport = t.intersection(
  [
    t.type({ phase: t.string }),
    t.partial({
      reason: t.string,
      message: t.string,
      updatedAt: t.string,
      image: t.string,
      digest: t.string,
      training: t.partial({ step: t.number, maxSteps: t.number, epoch: t.number, loss: t.number }),
    }),
  ],
  'ProgressReport',
);
export type ProgressReport = t.TypeOf<typeof ProgressReport>;

function parseJson<A>(codec: t.Decoder<unknown, A>, text: string | undefined): A | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined; // not the runner's (e.g. a crash before it wrote one): the pod's state speaks instead
  }
  const decoded = decode(codec, raw);
  return decoded.ok ? decoded.value : undefined;
}

export const readTerminationReport = (text: string | undefined): TerminationReport | undefined => parseJson(TerminationReport, text);
export const readProgressReport = (text: string | undefined): ProgressReport | undefined => parseJson(ProgressReport, text);

const REASONS: ReadonlySet<string> = new Set(Object.values(Reason));
const asReason = (r: string): Reason | undefined => (REASONS.has(r) ? (r as Reason) : undefined);

export type JobOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'pending'; readonly reason: Reason; readonly message: string }
  | { readonly kind: 'running'; readonly message: string }
  | { readonly kind: 'succeeded'; readonly message: string; readonly report?: TerminationReport }
  | { readonly kind: 'failed'; readonly reason: Reason; readonly message: string };

const jobCondition = (job: V1Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

function tunerStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === TUNING_CONTAINER);
}

/** Newest first: the last attempt is the one that decided the Job. */
function byCreation(a: V1Pod, b: V1Pod): number {
  return String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? ''));
}

function failureOf(pods: readonly V1Pod[], job: V1Job): { reason: Reason; message: string } {
  for (const pod of [...pods].sort(byCreation)) {
    const name = pod.metadata?.name ?? '';
    const terminated = tunerStatus(pod)?.state?.terminated;
    const report = readTerminationReport(terminated?.message);
    if (report !== undefined && report.phase === 'Failed') {
      const reason = asReason(report.reason) ?? Reason.JobFailed;
      return { reason, message: `${report.message}${report.step !== undefined ? ` (after step ${report.step})` : ''}` };
    }
    if (terminated?.reason === 'OOMKilled') return { reason: Reason.OOMKilled, message: `pod ${name}: the tuning container was OOMKilled (exit ${terminated.exitCode}); use a larger instance type or lower the batch size` };
    const puller = pod.status?.initContainerStatuses?.find((c) => c.state?.terminated !== undefined && c.state.terminated.exitCode !== 0)?.state?.terminated;
    if (puller !== undefined) return { reason: Reason.DownloadFailed, message: `pod ${name}: the input image could not be copied: ${puller.message ?? puller.reason ?? `exit ${puller.exitCode}`}` };
    if (terminated !== undefined) return { reason: Reason.JobFailed, message: `pod ${name}: the tuning container exited ${terminated.exitCode}${terminated.reason !== undefined ? ` (${terminated.reason})` : ''} without the runner's report; see kubectl logs ${name}` };
  }
  const failed = jobCondition(job, 'Failed');
  if (failed?.reason === 'DeadlineExceeded') return { reason: Reason.JobDeadlineExceeded, message: `the Job ran past its activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds ?? '?'} s): ${failed.message ?? ''}`.trim() };
  return { reason: Reason.JobFailed, message: `the Job failed: ${failed?.reason ?? 'unknown'}${failed?.message !== undefined ? `: ${failed.message}` : ''}` };
}

/** What the Job and its pods say (pods: those of this Job). */
export function jobOutcome(job: V1Job | undefined, pods: readonly V1Pod[]): JobOutcome {
  if (job === undefined) return { kind: 'none' };
  if (jobCondition(job, 'Complete') !== undefined || jobCondition(job, 'SuccessCriteriaMet') !== undefined) {
    const succeeded = [...pods].sort(byCreation).find((p) => tunerStatus(p)?.state?.terminated?.exitCode === 0);
    const report = readTerminationReport(tunerStatus(succeeded ?? {})?.state?.terminated?.message);
    return { kind: 'succeeded', message: report?.message ?? 'the tuning Job completed', ...(report !== undefined ? { report } : {}) };
  }
  if (jobCondition(job, 'Failed') !== undefined || jobCondition(job, 'FailureTarget') !== undefined) return { kind: 'failed', ...failureOf(pods, job) };
  // The newest pod is the current attempt (with backoffLimit > 0 an earlier one may have failed).
  const live = [...pods].sort(byCreation).reverse().find((p) => p.metadata?.deletionTimestamp === undefined);
  if (live === undefined) return { kind: 'pending', reason: Reason.JobPending, message: `Job ${job.metadata?.name ?? ''} has no pod yet` };
  // The pod ended but the Job controller has not recorded it yet: the run started and is over
  // bar that bookkeeping, so it stays Running (never back to Pending) until Complete or Failed.
  const phase = live.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { kind: 'running', message: `pod ${live.metadata?.name ?? ''} ended (${phase}); waiting for Job ${job.metadata?.name ?? ''} to record it` };
  const health = podHealth(live);
  if (!health.ready && health.reason !== Reason.InferencePending) {
    // An image that cannot be pulled, or a pod that cannot be scheduled: the user must act.
    const reason = health.reason === Reason.ContainerOOMKilled ? Reason.OOMKilled : health.reason;
    return { kind: 'pending', reason, message: health.message };
  }
  if (live.status?.phase === 'Running') return { kind: 'running', message: `pod ${live.metadata?.name ?? ''} is running` };
  return { kind: 'pending', reason: Reason.JobPending, message: `pod ${live.metadata?.name ?? ''} is ${live.status?.phase ?? 'Pending'}` };
}

export interface Verdict {
  readonly status: 'True' | 'False';
  readonly reason: Reason;
  readonly message: string;
}

export interface ObservedTuning {
  readonly workspace: Workspace;
  /** The pre-flight; undefined when it was not run because this revision's Job already exists. */
  readonly inputs: PreflightVerdict | undefined;
  /** `ResourceReady`, or 'released' once the Job ended and its node requests were deleted. */
  readonly resource: (Verdict & { readonly workerNodes: readonly string[] }) | 'released';
  readonly outcome: JobOutcome;
  readonly progress: ProgressReport | undefined;
  readonly now: Date;
}

function progressText(p: ProgressReport | undefined): string {
  if (p === undefined) return '';
  const tr = p.training;
  const step = tr?.step !== undefined ? `, step ${tr.step}${tr.maxSteps !== undefined ? `/${tr.maxSteps}` : ''}` : '';
  const loss = tr?.loss !== undefined ? `, loss ${tr.loss}` : '';
  return ` (${p.phase}${step}${loss})`;
}

/** `status.tuning` from the progress report, then the termination report (it is final). */
export function tuningProgress(progress: ProgressReport | undefined, outcome: JobOutcome, previous: TuningStatus | undefined): TuningStatus | undefined {
  const fromProgress: TuningStatus = progress === undefined
    ? {}
    : {
        phase: progress.phase,
        ...(progress.training?.step !== undefined ? { step: progress.training.step } : {}),
        ...(progress.training?.maxSteps !== undefined ? { maxSteps: progress.training.maxSteps } : {}),
        ...(progress.training?.epoch !== undefined ? { epoch: progress.training.epoch } : {}),
        ...(progress.training?.loss !== undefined ? { loss: progress.training.loss } : {}),
        ...(progress.image !== undefined ? { image: progress.image } : {}),
        ...(progress.digest !== undefined ? { digest: progress.digest } : {}),
        ...(progress.updatedAt !== undefined ? { updatedAt: progress.updatedAt } : {}),
      };
  const report = outcome.kind === 'succeeded' ? outcome.report : undefined;
  const final: TuningStatus =
    outcome.kind === 'succeeded'
      ? { phase: 'Succeeded', ...(report?.image !== undefined ? { image: report.image } : {}), ...(report?.digest !== undefined ? { digest: report.digest } : {}), ...(report?.step !== undefined ? { step: report.step } : {}), ...(report?.loss !== undefined ? { loss: report.loss } : {}) }
      : outcome.kind === 'failed'
        ? { phase: 'Failed' }
        : {};
  const merged = { ...(previous ?? {}), ...fromProgress, ...final };
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/** `JobStarted` and `WorkspaceSucceeded` from the Job's outcome. */
export function jobConditions(outcome: JobOutcome, progress: ProgressReport | undefined, blockedBy: Verdict | undefined): { started: Verdict; succeeded: Verdict } {
  switch (outcome.kind) {
    case 'none': {
      const why = blockedBy !== undefined ? `waiting for ${blockedBy.reason}: ${blockedBy.message}` : 'the tuning Job is not created yet';
      return { started: { status: 'False', reason: Reason.JobPending, message: why }, succeeded: { status: 'False', reason: Reason.JobPending, message: why } };
    }
    case 'pending':
      return { started: { status: 'False', reason: Reason.JobPending, message: outcome.message }, succeeded: { status: 'False', reason: outcome.reason, message: outcome.message } };
    case 'running':
      return {
        started: { status: 'True', reason: Reason.JobStarted, message: outcome.message },
        succeeded: { status: 'False', reason: Reason.JobStarted, message: `tuning is running${progressText(progress)}` },
      };
    case 'succeeded':
      return { started: { status: 'True', reason: Reason.JobStarted, message: 'the tuning Job ran' }, succeeded: { status: 'True', reason: Reason.TuningSucceeded, message: outcome.message } };
    case 'failed':
      return { started: { status: 'True', reason: Reason.JobStarted, message: 'the tuning Job ran' }, succeeded: { status: 'False', reason: outcome.reason, message: outcome.message } };
  }
}

function nextState(outcome: JobOutcome): WorkspaceState {
  if (outcome.kind === 'succeeded') return WorkspaceState.Succeeded;
  if (outcome.kind === 'failed') return WorkspaceState.Failed;
  if (outcome.kind === 'running') return WorkspaceState.Running;
  return WorkspaceState.Pending;
}

/** Once the Job exists the pre-flight is not run again: keep what it said. */
function checkedBefore(conditions: readonly Condition[] | undefined): string {
  const c = conditions?.find((x) => x.type === ConditionType.InputsReady);
  return c?.status === 'True' ? c.message : 'checked before the Job was created';
}

/** The Workspace's next status; the conditions array is the observed one when nothing changed. */
export function tuningStatus(o: ObservedTuning): WorkspaceStatus {
  const previous = o.workspace.status ?? {};
  const inputs: Verdict =
    o.inputs === undefined
      ? { status: 'True', reason: Reason.InputsReady, message: checkedBefore(previous.conditions) }
      : o.inputs.ok
        ? { status: 'True', reason: Reason.InputsReady, message: o.inputs.message }
        : { status: 'False', reason: o.inputs.reason, message: o.inputs.message };
  const resource: Verdict =
    o.resource === 'released'
      ? { status: 'False', reason: Reason.NodesReleased, message: 'the tuning Job ended; its node requests were released (the controller\u2019s --tuning-keep-nodes keeps them)' }
      : inputs.status === 'False'
        ? { status: 'False', reason: Reason.NodesPending, message: `no node requested until the pre-flight passes: ${inputs.reason}` }
        : o.resource;
  // Before the Job exists, what holds it back is the news; once it ran, the Job's outcome is
  // (a released node after the run blocks nothing).
  const blockedBy = o.outcome.kind !== 'none' ? undefined : inputs.status === 'False' ? inputs : resource.status === 'False' ? resource : undefined;
  const { started, succeeded } = jobConditions(o.outcome, o.progress, blockedBy);
  const ready: Verdict =
    succeeded.status === 'True'
      ? { status: 'True', reason: Reason.WorkspaceReady, message: 'tuning succeeded' }
      : { status: 'False', reason: Reason.WorkspaceNotReady, message: `${(blockedBy ?? succeeded).reason}: ${(blockedBy ?? succeeded).message}` };
  const opts = { observedGeneration: o.workspace.metadata.generation, now: o.now };
  const conditions = (
    [
      [ConditionType.InputsReady, inputs],
      [ConditionType.ResourceReady, resource],
      [ConditionType.JobStarted, started],
      [ConditionType.WorkspaceSucceeded, succeeded],
      [ConditionType.WorkspaceReady, ready],
    ] as const
  ).reduce<Condition[]>((list, [type, verdict]) => setCondition(list, { type, ...verdict }, opts), previous.conditions ?? []);
  const tuning = tuningProgress(o.progress, o.outcome, o.outcome.kind === 'none' ? undefined : previous.tuning);
  const workerNodes = o.resource === 'released' ? (previous.workerNodes ?? []) : [...o.resource.workerNodes];
  const { tuning: _previousTuning, ...rest } = previous;
  return {
    ...rest,
    conditions,
    workerNodes,
    targetNodeCount: 1,
    state: nextState(o.outcome),
    ...(tuning !== undefined ? { tuning } : {}),
  };
}

/** The status of a tuning Workspace whose spec cannot be served (every condition False). */
export function blockedTuningStatus(ws: Workspace, reason: Reason, message: string, now: Date): WorkspaceStatus {
  return tuningStatus({ workspace: ws, inputs: { ok: false, reason, message }, resource: { status: 'False', reason: Reason.NodesPending, message: '', workerNodes: [] }, outcome: { kind: 'none' }, progress: undefined, now });
}
