import { InsufficientCapacityError, InvalidRequestError, QuotaExceededError, SkuUnavailableError, TransientError } from '../cloudprovider/errors.js';
import type { Instance } from '../cloudprovider/types.js';
import type { NodeRequestCondition } from '../conditions.js';
import { makeNodeRequest } from '../testing/factories.js';
import { hasCapacityFailure, hasTerminalFailure, launchedStatus, launchFailedStatus, launchingStatus, launchedMetadata, launchIntentRecorded, launchLabels, planLaunch } from './launch.js';

const now = new Date('2025-01-01T00:10:00Z');
const c = (type: string, status: NodeRequestCondition['status'], reason: string): NodeRequestCondition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: '2025-01-01T00:00:00Z',
});
const instance: Instance = {
  name: 'i-1',
  providerID: 'fake:///i-1',
  requestName: 'ws1',
  requestUID: 'uid-ws1',
  instanceType: 'Standard_NC24ads_A100_v4',
  state: 'Running',
  labels: { 'node.kubernetes.io/instance-type': 'Standard_NC24ads_A100_v4', 'topology.kubernetes.io/zone': 'z1' },
  capacity: { 'nvidia.com/gpu': '1' },
  allocatable: { 'nvidia.com/gpu': '1' },
  createdAt: '2025-01-01T00:00:00Z',
};

describe('planLaunch', () => {
  const retrying = (notBefore: number) => ({ annotations: { 'kaito-ts.dev/launch-retry': JSON.stringify({ attempt: 1, notBefore: new Date(notBefore).toISOString() }) } });
  it.each([
    ['a new request', [], undefined, 'recordIntent'],
    ['a request whose intent is recorded', [c('Launched', 'Unknown', 'Launching')], undefined, 'create'],
    ['a request whose last launch failed transiently, after the backoff', [c('Launched', 'Unknown', 'LaunchFailed')], now.getTime() - 1, 'create'],
    ['a request whose last launch hit quota, after the backoff', [c('Launched', 'False', 'QuotaExceeded')], now.getTime(), 'create'],
    ['a request whose last launch hit quota, within the backoff', [c('Launched', 'False', 'QuotaExceeded')], now.getTime() + 5000, 'wait'],
    ['a request whose last launch failed transiently, within the backoff', [c('Launched', 'Unknown', 'LaunchFailed')], now.getTime() + 1, 'wait'],
  ] as const)('plans %s as %s', (_name, conditions, notBefore, kind) => {
    const r = makeNodeRequest('nodeclaim', { ...(notBefore !== undefined ? { metadata: retrying(notBefore) } : {}), status: { conditions } });
    expect(planLaunch(r, { now }).kind).toBe(kind);
  });

  describe('when a Node of the request joins during the backoff', () => {
    // Last attempt at 00:09:58.600, next one not before 00:10:30: 30 s still to wait at `now`.
    const waiting = makeNodeRequest('nodeclaim', {
      metadata: { annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":5,"notBefore":"2025-01-01T00:10:30Z","at":"2025-01-01T00:09:58.600Z"}' } },
      status: { conditions: [c('Launched', 'Unknown', 'LaunchFailed')] },
    });

    it('creates at once when the Node is newer than the last attempt', () => {
      expect(planLaunch(waiting, { now, nodeJoinedAt: Date.parse('2025-01-01T00:09:59Z') })).toEqual({ kind: 'create', recover: true });
    });

    it('creates at once when the Node was created in the same second as the attempt (timestamps have whole seconds)', () => {
      expect(planLaunch(waiting, { now, nodeJoinedAt: Date.parse('2025-01-01T00:09:58Z') })).toEqual({ kind: 'create', recover: true });
    });

    it('waits out the backoff when the Node was there before the last attempt (that attempt already saw it)', () => {
      expect(planLaunch(waiting, { now, nodeJoinedAt: Date.parse('2025-01-01T00:09:57Z') })).toEqual({ kind: 'wait', retryAfterMs: 30_000 });
    });

    it('waits out the backoff without a Node, or with a record that does not say when the attempt was', () => {
      expect(planLaunch(waiting, { now }).kind).toBe('wait');
      const old = makeNodeRequest('nodeclaim', { metadata: { annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":5,"notBefore":"2025-01-01T00:10:30Z"}' } }, status: waiting.status });
      expect(planLaunch(old, { now, nodeJoinedAt: now.getTime() }).kind).toBe('wait');
    });

    it('still does nothing after a terminal failure', () => {
      const r = makeNodeRequest('nodeclaim', {
        metadata: { generation: 1, annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":1,"notBefore":"2025-01-01T00:09:58Z","at":"2025-01-01T00:09:58Z","terminal":true,"generation":1}' } },
        status: { conditions: [c('Launched', 'False', 'InvalidRequest')] },
      });
      expect(planLaunch(r, { now, nodeJoinedAt: now.getTime() })).toEqual({ kind: 'rejected' });
    });
  });

  describe('after a terminal failure', () => {
    const rejected = (record: object, generation: number, conditions = [c('Launched', 'False', 'InvalidRequest')]) =>
      makeNodeRequest('nodeclaim', { metadata: { generation, annotations: { 'kaito-ts.dev/launch-retry': JSON.stringify(record) } }, status: { conditions } });
    const record = { attempt: 1, notBefore: '2025-01-01T00:00:00Z', terminal: true, generation: 1 };

    it('does nothing while the request is unchanged', () => {
      expect(planLaunch(rejected(record, 1), { now })).toEqual({ kind: 'rejected' });
    });

    it('launches again once the spec changed (a new generation)', () => {
      expect(planLaunch(rejected(record, 2), { now })).toEqual({ kind: 'create', recover: true });
    });

    it('launches again once the record was removed by hand, even though this process wrote it', () => {
      const r = makeNodeRequest('nodeclaim', { metadata: { generation: 1 }, status: { conditions: [c('Launched', 'False', 'InvalidRequest')] } });
      expect(planLaunch(r, { now, written: { attempt: 1, notBefore: now.getTime(), terminal: { generation: 1 } } })).toEqual({ kind: 'create', recover: true });
    });

    it('does nothing when the read still shows the transient failure before the terminal one (a lagging cache)', () => {
      const r = makeNodeRequest('nodeclaim', {
        metadata: { generation: 1, annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":1,"notBefore":"2025-01-01T00:09:00Z"}' } },
        status: { conditions: [c('Launched', 'Unknown', 'LaunchFailed')] },
      });
      expect(planLaunch(r, { now, written: { attempt: 2, notBefore: now.getTime(), terminal: { generation: 1 } } })).toEqual({ kind: 'rejected' });
    });

    it('does nothing when the read is older than the record this process wrote (a lagging cache)', () => {
      const r = makeNodeRequest('nodeclaim', { metadata: { generation: 1 }, status: { conditions: [c('Launched', 'Unknown', 'Launching')] } });
      expect(planLaunch(r, { now, written: { attempt: 1, notBefore: now.getTime(), terminal: { generation: 1 } } })).toEqual({ kind: 'rejected' });
    });
  });

  it('lists before creating once the intent is on record', () => {
    const r = makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'Unknown', 'Launching')] } });
    expect(planLaunch(r, { now })).toEqual({ kind: 'create', recover: true });
  });

  it('waits out the rest of the backoff its retry record names', () => {
    const r = makeNodeRequest('nodeclaim', {
      metadata: { annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":3,"notBefore":"2025-01-01T00:10:05Z"}' } },
      status: { conditions: [c('Launched', 'False', 'InsufficientCapacity')] },
    });
    expect(planLaunch(r, { now })).toEqual({ kind: 'wait', retryAfterMs: 5000 });
  });

  it('ignores a malformed retry record and tries now', () => {
    const r = makeNodeRequest('nodeclaim', {
      metadata: { annotations: { 'kaito-ts.dev/launch-retry': 'soon' } },
      status: { conditions: [c('Launched', 'False', 'InsufficientCapacity')] },
    });
    expect(planLaunch(r, { now })).toEqual({ kind: 'create', recover: true });
  });

  it('adopts an instance this process created but has not recorded yet', () => {
    const r = makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'Unknown', 'Launching')] } });
    expect(planLaunch(r, { now, remembered: instance })).toEqual({ kind: 'adopt', instance });
  });

  it('does nothing once launched', () => {
    const r = makeNodeRequest('nodeclaim', { status: { providerID: 'fake:///i-1', conditions: [c('Launched', 'True', 'Launched')] } });
    expect(planLaunch(r, { now, remembered: instance })).toEqual({ kind: 'launched' });
  });

  it('links the instance named by karpenter.sh/linked (v1alpha5) instead of creating one', () => {
    const r = makeNodeRequest('machine', { metadata: { annotations: { 'karpenter.sh/linked': 'azure:///vm-1' } } });
    expect(planLaunch(r, { now })).toEqual({ kind: 'link', providerID: 'azure:///vm-1' });
  });
});

describe('launchIntentRecorded', () => {
  it('is false for a request nobody launched yet', () => {
    expect(launchIntentRecorded(makeNodeRequest('nodeclaim'))).toBe(false);
  });

  it('is true after launchingStatus', () => {
    const r = makeNodeRequest('nodeclaim');
    expect(launchIntentRecorded({ ...r, status: launchingStatus(r, 'fake', now) })).toBe(true);
  });
});

describe('launchingStatus', () => {
  it('marks Launched Unknown/Launching and the later conditions as waiting', () => {
    const s = launchingStatus(makeNodeRequest('nodeclaim'), 'kwok', now);
    expect(s.conditions.map((x) => `${x.type}=${x.status}/${x.reason}`)).toEqual([
      'Launched=Unknown/Launching',
      'Registered=Unknown/AwaitingLaunch',
      'Initialized=Unknown/AwaitingLaunch',
      'Ready=Unknown/Launching',
    ]);
  });
});

describe('launchedStatus', () => {
  it('copies providerID, capacity and allocatable and sets Launched', () => {
    const s = launchedStatus(makeNodeRequest('nodeclaim'), { ...instance, imageID: 'img' }, now);
    expect(s).toMatchObject({ providerID: 'fake:///i-1', imageID: 'img', capacity: { 'nvidia.com/gpu': '1' }, allocatable: { 'nvidia.com/gpu': '1' } });
    expect(s.conditions.find((x) => x.type === 'Launched')).toMatchObject({ status: 'True', reason: 'Launched' });
    expect(s.conditions.find((x) => x.type === 'Registered')).toMatchObject({ status: 'Unknown', reason: 'NodeNotFound' });
  });

  it('leaves imageID out for a Machine (v1alpha5 has no such field)', () => {
    expect(launchedStatus(makeNodeRequest('machine'), { ...instance, imageID: 'img' }, now).imageID).toBeUndefined();
  });
});

describe('launchFailedStatus', () => {
  it.each([
    [new QuotaExceededError('0 of 24 cores free'), 'False', 'QuotaExceeded', 'capacity'],
    [new InsufficientCapacityError('stock-out'), 'False', 'InsufficientCapacity', 'capacity'],
    [new SkuUnavailableError('not in region'), 'False', 'SkuUnavailable', 'capacity'],
    [new InvalidRequestError('InvalidParameter: osDiskSizeGB'), 'False', 'InvalidRequest', 'terminal'],
    [new TransientError('429'), 'Unknown', 'LaunchFailed', 'transient'],
    [new Error('socket hang up'), 'Unknown', 'LaunchFailed', 'transient'],
  ])('turns %p into Launched=%s %s (%s)', (err, status, reason, kind) => {
    const out = launchFailedStatus(makeNodeRequest('nodeclaim'), err, now);
    expect(out.kind).toBe(kind);
    expect(out.status.conditions.find((x) => x.type === 'Launched')).toMatchObject({ status, reason, message: err.message });
    expect(out.status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status, reason });
  });

  it('finds the provider error behind a wrapping error', () => {
    const err = new Error('creating agent pool', { cause: new QuotaExceededError('NCSv3 quota') });
    expect(launchFailedStatus(makeNodeRequest('nodeclaim'), err, now).reason).toBe('QuotaExceeded');
  });

  it('marks a capacity failure as such for liveness', () => {
    const r = makeNodeRequest('nodeclaim');
    expect(hasCapacityFailure({ ...r, status: launchFailedStatus(r, new QuotaExceededError('q'), now).status })).toBe(true);
  });

  it('marks a terminal failure as such for liveness, and not as a capacity one', () => {
    const r = makeNodeRequest('nodeclaim');
    const failed = { ...r, status: launchFailedStatus(r, new InvalidRequestError('bad name'), now).status };
    expect([hasTerminalFailure(failed), hasCapacityFailure(failed)]).toEqual([true, false]);
  });
});

describe('launchedMetadata', () => {
  it('removes the retry record once launched', () => {
    const r = makeNodeRequest('nodeclaim', { metadata: { annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":1,"notBefore":"2025-01-01T00:00:00Z"}' } } });
    expect(launchedMetadata(r, instance).annotations).toEqual({ 'kaito-ts.dev/launch-retry': null });
  });

  it('leaves annotations alone when there is no retry record', () => {
    expect(launchedMetadata(makeNodeRequest('nodeclaim'), instance).annotations).toBeUndefined();
  });
});

describe('launchLabels', () => {
  it('adds the instance’s labels and requirement labels the request lacks, never overriding its own', () => {
    const r = makeNodeRequest('nodeclaim', { metadata: { labels: { 'topology.kubernetes.io/zone': 'mine' } } });
    expect(launchLabels(r, instance)).toEqual({
      'node.kubernetes.io/instance-type': 'Standard_NC24ads_A100_v4',
      'kubernetes.io/os': 'linux',
    });
  });
});
