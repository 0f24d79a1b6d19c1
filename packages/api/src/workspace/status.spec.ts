import type { Condition } from '../codecs/meta.js';
import { ConditionType, Reason, getCondition, isCurrent, isTrue, setCondition } from './status.js';

const t0 = new Date('2026-11-28T10:00:00Z');
const t1 = new Date('2026-11-28T10:05:00Z');
const ready = { type: ConditionType.ResourceReady, status: 'True' as const, reason: Reason.NodesReady, message: 'all 1 nodes are ready' };

describe('setCondition', () => {
  it('adds a condition stamped with the time and observed generation', () => {
    expect(setCondition(undefined, ready, { now: t0, observedGeneration: 3 })).toEqual([
      { ...ready, lastTransitionTime: t0.toISOString(), observedGeneration: 3 },
    ]);
  });

  it('keeps lastTransitionTime when the status does not flip', () => {
    const first = setCondition([], { ...ready, status: 'False', reason: Reason.NodesPending, message: 'waiting' }, { now: t0, observedGeneration: 1 });
    const second = setCondition(first, { ...ready, status: 'False', reason: Reason.QuotaExceeded, message: 'quota' }, { now: t1, observedGeneration: 1 });
    expect(second[0]?.lastTransitionTime).toBe(t0.toISOString());
    expect(second[0]?.reason).toBe(Reason.QuotaExceeded);
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition([], { ...ready, status: 'False', reason: Reason.NodesPending, message: 'waiting' }, { now: t0 });
    const second = setCondition(first, ready, { now: t1 });
    expect(second[0]?.lastTransitionTime).toBe(t1.toISOString());
  });

  it('returns the same array when nothing changed, so callers can skip the write', () => {
    const first = setCondition([], ready, { now: t0, observedGeneration: 2 });
    expect(setCondition(first, ready, { now: t1, observedGeneration: 2 })).toBe(first);
  });

  it('returns a new array when only the observed generation changed', () => {
    const first = setCondition([], ready, { now: t0, observedGeneration: 2 });
    const second = setCondition(first, ready, { now: t1, observedGeneration: 3 });
    expect(second).not.toBe(first);
    expect(second[0]).toEqual({ ...first[0], observedGeneration: 3 });
  });

  it('replaces a condition of the same type and leaves the others in place', () => {
    const other: Condition = { type: ConditionType.InferenceReady, status: 'False', reason: Reason.InferencePending, message: 'm', lastTransitionTime: t0.toISOString() };
    const list = setCondition([other], ready, { now: t0 });
    const updated = setCondition(list, { ...ready, status: 'False', reason: Reason.GpuNotReady, message: 'no gpu' }, { now: t1 });
    expect(updated.map((c) => c.type)).toEqual([ConditionType.InferenceReady, ConditionType.ResourceReady]);
    expect(updated[0]).toBe(other);
  });

  it('does not modify the input array', () => {
    const list: Condition[] = [];
    setCondition(list, ready, { now: t0 });
    expect(list).toEqual([]);
  });
});

describe('condition queries', () => {
  const list = setCondition([], ready, { now: t0, observedGeneration: 4 });

  it('finds a condition by type', () => expect(getCondition(list, ConditionType.ResourceReady)?.reason).toBe(Reason.NodesReady));
  it('treats a missing condition as not true', () => expect(isTrue(list, ConditionType.InferenceReady)).toBe(false));
  it('reports a True condition as true', () => expect(isTrue(list, ConditionType.ResourceReady)).toBe(true));
  it('knows whether a condition belongs to the current generation', () => {
    expect(isCurrent(list[0], 4)).toBe(true);
    expect(isCurrent(list[0], 5)).toBe(false);
  });
});
