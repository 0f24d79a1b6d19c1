import { ConditionType, Reason, type Workspace } from '@kaito-ts/api';
import { makeTuningWorkspace } from '@kaito-ts/api/testing';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { makeContainerStatus, makePod } from '../../testing/pods.js';
import { jobOutcome, tuningStatus, type JobOutcome, type ObservedTuning } from './status.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const job = (conditions: { type: string; status: string; reason?: string; message?: string }[] = [], extra: Partial<NonNullable<V1Job['spec']>> = {}): V1Job => ({
  metadata: { name: 'workspace-tuning-phi-3', uid: 'job-uid' },
  spec: { template: {}, ...extra },
  status: { conditions: conditions.map((c) => ({ lastTransitionTime: NOW, ...c })) as NonNullable<NonNullable<V1Job['status']>['conditions']> },
});
const terminated = (exitCode: number, message?: string, reason = exitCode === 0 ? 'Completed' : 'Error'): V1Pod =>
  makePod({ name: 'tune-abc', phase: exitCode === 0 ? 'Succeeded' : 'Failed', ready: false, containers: [makeContainerStatus({ name: 'tuner', ready: false, state: { terminated: { exitCode, reason, ...(message !== undefined ? { message } : {}) } } })] });
const report = (o: Record<string, unknown>): string => JSON.stringify(o);

describe('jobOutcome', () => {
  it.each<[string, V1Job | undefined, V1Pod[], Partial<JobOutcome>]>([
    ['no Job', undefined, [], { kind: 'none' }],
    ['a Job without a pod', job(), [], { kind: 'pending', reason: Reason.JobPending }],
    ['a running pod', job(), [makePod({ name: 'tune-abc', containers: [makeContainerStatus({ name: 'tuner' })] })], { kind: 'running' }],
    [
      'a pod that cannot pull the runner image',
      job(),
      [makePod({ name: 'tune-abc', phase: 'Pending', ready: false, containers: [makeContainerStatus({ name: 'tuner', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } })] })],
      { kind: 'pending', reason: Reason.ImagePullBackOff },
    ],
    [
      'an unschedulable pod',
      job(),
      [makePod({ name: 'tune-abc', phase: 'Pending', ready: false, containers: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes' }] })],
      { kind: 'pending', reason: Reason.Unschedulable },
    ],
    // Found by the e2e tier: between the pod's end and the Job's condition the state went back to Pending.
    ['a pod that succeeded before the Job records it', job(), [terminated(0, report({ phase: 'Succeeded', reason: 'TuningSucceeded', message: 'pushed' }))], { kind: 'running', message: expect.stringContaining('ended (Succeeded); waiting for Job') }],
    ['a pod that failed before the Job records it', job(), [terminated(5, report({ phase: 'Failed', reason: 'InvalidDataset', message: 'x' }))], { kind: 'running', message: expect.stringContaining('ended (Failed)') }],
    ['a completed Job with the runner’s report', job([{ type: 'Complete', status: 'True' }]), [terminated(0, report({ phase: 'Succeeded', reason: 'TuningSucceeded', message: 'pushed r/a:1', image: 'r/a:1', digest: 'sha256:abc', step: 30 }))], { kind: 'succeeded', message: 'pushed r/a:1' }],
    [
      'a Job failed with the runner’s InvalidDataset',
      job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]),
      [terminated(5, report({ phase: 'Failed', reason: 'InvalidDataset', message: 'train.parquet: row 3: messages[1].role: expected user or assistant' }))],
      { kind: 'failed', reason: Reason.InvalidDataset, message: 'train.parquet: row 3: messages[1].role: expected user or assistant' },
    ],
    ['a Job failed with PushUnauthorized after training', job([{ type: 'Failed', status: 'True' }]), [terminated(10, report({ phase: 'Failed', reason: 'PushUnauthorized', message: 'push to r: 401', step: 30 }))], { kind: 'failed', reason: Reason.PushUnauthorized, message: 'push to r: 401 (after step 30)' }],
    ['an OOMKilled runner (no report)', job([{ type: 'Failed', status: 'True' }]), [terminated(137, undefined, 'OOMKilled')], { kind: 'failed', reason: Reason.OOMKilled }],
    ['a runner that died without a report', job([{ type: 'Failed', status: 'True' }]), [terminated(1, 'Traceback (most recent call last)')], { kind: 'failed', reason: Reason.JobFailed }],
    ['a Job past its deadline', job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }], { activeDeadlineSeconds: 60 }), [], { kind: 'failed', reason: Reason.JobDeadlineExceeded }],
    ['an unknown reason in the report', job([{ type: 'Failed', status: 'True' }]), [terminated(1, report({ phase: 'Failed', reason: 'Bogus', message: 'x' }))], { kind: 'failed', reason: Reason.JobFailed }],
  ])('%s', (_what, j, pods, expected) => {
    expect(jobOutcome(j, pods)).toMatchObject(expected);
  });
});

function observe(overrides: Partial<ObservedTuning> = {}): ObservedTuning {
  return {
    workspace: makeTuningWorkspace(),
    inputs: { ok: true, message: 'ok' },
    resource: { status: 'True', reason: Reason.NodesReady, message: '1/1 nodes ready', workerNodes: ['node-a'] },
    outcome: { kind: 'none' },
    progress: undefined,
    now: NOW,
    ...overrides,
  };
}
const cond = (ws: { conditions?: { type: string; status: string; reason: string; message: string }[] }, type: string) => ws.conditions?.find((c) => c.type === type);

describe('tuningStatus', () => {
  it('is Pending with InputsReady False and no node while the pre-flight refuses', () => {
    const s = tuningStatus(observe({ inputs: { ok: false, reason: Reason.PushSecretNotFound, message: 'Secret x not found' } }));
    expect(s.state).toBe('Pending');
    expect(cond(s, ConditionType.InputsReady)).toMatchObject({ status: 'False', reason: Reason.PushSecretNotFound });
    expect(cond(s, ConditionType.ResourceReady)).toMatchObject({ status: 'False', reason: Reason.NodesPending });
    expect(cond(s, ConditionType.WorkspaceReady)?.message).toBe('PushSecretNotFound: Secret x not found');
  });

  it('is Running with the runner’s progress while the pod runs', () => {
    const s = tuningStatus(observe({ outcome: { kind: 'running', message: 'pod p is running' }, inputs: undefined, progress: { phase: 'Training', training: { step: 12, maxSteps: 30, epoch: 0.4, loss: 1.25 } } }));
    expect(s.state).toBe('Running');
    expect(cond(s, ConditionType.JobStarted)).toMatchObject({ status: 'True', reason: Reason.JobStarted });
    expect(cond(s, ConditionType.WorkspaceSucceeded)?.message).toBe('tuning is running (Training, step 12/30, loss 1.25)');
    expect(s.tuning).toEqual({ phase: 'Training', step: 12, maxSteps: 30, epoch: 0.4, loss: 1.25 });
  });

  it('is Succeeded with the pushed digest, and WorkspaceReady True', () => {
    const outcome: JobOutcome = { kind: 'succeeded', message: 'pushed', report: { phase: 'Succeeded', reason: 'TuningSucceeded', message: 'pushed', image: 'r/a:1', digest: 'sha256:abc', step: 30, loss: 0.5 } };
    const s = tuningStatus(observe({ outcome, resource: 'released', inputs: undefined }));
    expect(s.state).toBe('Succeeded');
    expect(s.tuning).toMatchObject({ phase: 'Succeeded', image: 'r/a:1', digest: 'sha256:abc', step: 30 });
    expect(cond(s, ConditionType.WorkspaceSucceeded)).toMatchObject({ status: 'True', reason: Reason.TuningSucceeded });
    expect(cond(s, ConditionType.WorkspaceReady)?.status).toBe('True');
    expect(cond(s, ConditionType.ResourceReady)).toMatchObject({ status: 'False', reason: Reason.NodesReleased });
  });

  it.each([
    ['with its node still there', undefined],
    ['after its node was released', 'released' as const],
  ])('is Failed with the runner’s reason %s', (_what, resource) => {
    const s = tuningStatus(observe({ outcome: { kind: 'failed', reason: Reason.InvalidDataset, message: 'row 3' }, ...(resource !== undefined ? { resource } : {}) }));
    expect(s.state).toBe('Failed');
    expect(cond(s, ConditionType.WorkspaceSucceeded)).toMatchObject({ status: 'False', reason: Reason.InvalidDataset, message: 'row 3' });
    expect(cond(s, ConditionType.WorkspaceReady)).toMatchObject({ status: 'False', message: 'InvalidDataset: row 3' });
  });

  it('returns the same conditions array when nothing changed (no write)', () => {
    const first = tuningStatus(observe());
    const ws: Workspace = { ...makeTuningWorkspace(), status: first };
    expect(tuningStatus(observe({ workspace: ws })).conditions).toBe(first.conditions);
  });

  it('drops the last run’s progress when the Job is replaced after a spec change', () => {
    const ws: Workspace = { ...makeTuningWorkspace(), status: { tuning: { phase: 'Succeeded', digest: 'sha256:old' } } };
    expect(tuningStatus(observe({ workspace: ws })).tuning).toBeUndefined();
  });
});
