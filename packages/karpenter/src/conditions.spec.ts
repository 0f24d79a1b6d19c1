import { deriveReady, type NodeRequestCondition, setCondition, setLifecycleCondition, truncateMessage } from './conditions.js';

const t0 = new Date('2025-01-01T00:00:00Z');
const t1 = new Date('2025-01-01T00:05:00Z');

const cond = (type: string, status: NodeRequestCondition['status'], reason = type): NodeRequestCondition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: t0.toISOString(),
});

describe('setCondition', () => {
  it('adds a condition stamped with now and the observed generation', () => {
    const out = setCondition([], { type: 'Launched', status: 'True', reason: 'Launched', message: '' }, t0, 3);
    expect(out).toEqual([{ type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: t0.toISOString(), observedGeneration: 3 }]);
  });

  it('keeps lastTransitionTime when only the reason changes', () => {
    const out = setCondition([cond('Launched', 'Unknown', 'Launching')], { type: 'Launched', status: 'Unknown', reason: 'LaunchFailed', message: 'x' }, t1);
    expect(out[0]?.lastTransitionTime).toBe(t0.toISOString());
    expect(out[0]?.reason).toBe('LaunchFailed');
  });

  it('moves lastTransitionTime when the status flips', () => {
    const out = setCondition([cond('Launched', 'Unknown')], { type: 'Launched', status: 'True', reason: 'Launched', message: '' }, t1);
    expect(out[0]?.lastTransitionTime).toBe(t1.toISOString());
  });

  it('returns the same array when nothing changes', () => {
    const before = [cond('Launched', 'True')];
    expect(setCondition(before, { type: 'Launched', status: 'True', reason: 'Launched', message: '' }, t1)).toBe(before);
  });

  it('cuts long messages', () => {
    const out = setCondition([], { type: 'Launched', status: 'False', reason: 'QuotaExceeded', message: 'x'.repeat(5000) }, t0);
    expect(out[0]?.message.length).toBe(800);
    expect(truncateMessage('short')).toBe('short');
  });
});

describe('deriveReady', () => {
  it.each([
    ['all three True', [cond('Launched', 'True'), cond('Registered', 'True'), cond('Initialized', 'True')], 'True', 'Ready'],
    ['one False', [cond('Launched', 'False', 'QuotaExceeded'), cond('Registered', 'Unknown')], 'False', 'QuotaExceeded'],
    ['one still Unknown', [cond('Launched', 'True'), cond('Registered', 'Unknown', 'NodeNotFound')], 'Unknown', 'NodeNotFound'],
    ['nothing known', [], 'Unknown', 'NotReady'],
  ] as const)('is %s → %s', (_name, conditions, status, reason) => {
    const ready = deriveReady(conditions);
    expect(ready.status).toBe(status);
    expect(ready.reason).toBe(reason);
  });

  it('is re-derived by setLifecycleCondition', () => {
    let c = setLifecycleCondition([], { type: 'Launched', status: 'True', reason: 'Launched', message: '' }, t0);
    c = setLifecycleCondition(c, { type: 'Registered', status: 'True', reason: 'Registered', message: '' }, t0);
    c = setLifecycleCondition(c, { type: 'Initialized', status: 'True', reason: 'Initialized', message: '' }, t0);
    expect(c.find((x) => x.type === 'Ready')?.status).toBe('True');
  });
});
