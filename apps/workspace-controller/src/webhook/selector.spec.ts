import { makeInferenceWorkspace, makeTuningWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { labelSelectorRules, selectorLabels } from './selector.js';
import type { LabelSelector } from '@kaito-ts/api';

const withSelector = (labelSelector: LabelSelector) => {
  const ws = makeInferenceWorkspace();
  return { ...ws, resource: { ...ws.resource, labelSelector } };
};

describe('labelSelectorRules', () => {
  it.each<[string, LabelSelector]>([
    ['matchLabels', { matchLabels: { apps: 'phi-3' } }],
    ['an In requirement with one value', { matchExpressions: [{ key: 'apps', operator: 'In', values: ['phi-3'] }] }],
    ['an empty selector', {}],
    ['matchLabels and the same In value', { matchLabels: { apps: 'phi-3' }, matchExpressions: [{ key: 'apps', operator: 'In', values: ['phi-3'] }] }],
  ])('admits %s', (_, selector) => {
    expect(labelSelectorRules(makeAdmissionInput({ workspace: withSelector(selector) }))).toEqual([]);
  });

  it.each<[string, LabelSelector, string, string]>([
    ['NotIn', { matchExpressions: [{ key: 'apps', operator: 'NotIn', values: ['x'] }] }, 'resource.labelSelector.matchExpressions[0].operator', 'expected In'],
    ['Exists', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, 'resource.labelSelector.matchExpressions[0].operator', 'Exists cannot be a node label'],
    ['In with two values', { matchExpressions: [{ key: 'apps', operator: 'In', values: ['a', 'b'] }] }, 'resource.labelSelector.matchExpressions[0].values', 'expected exactly one value for In'],
    ['In contradicting matchLabels', { matchLabels: { apps: 'a' }, matchExpressions: [{ key: 'apps', operator: 'In', values: ['b'] }] }, 'resource.labelSelector.matchExpressions[0].values', 'apps is already "a"'],
    ['only reserved labels', { matchLabels: { 'kaito.sh/workspace': 'x' } }, 'resource.labelSelector.matchLabels', 'would match every node'],
  ])('refuses %s', (_, selector, path, message) => {
    const findings = labelSelectorRules(makeAdmissionInput({ workspace: withSelector(selector) }));
    expect(findings).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('warns, without refusing, about reserved keys next to usable ones', () => {
    const findings = labelSelectorRules(makeAdmissionInput({ workspace: withSelector({ matchLabels: { apps: 'phi-3', 'kaito.sh/workspace': 'x' } }) }));
    expect(findings).toEqual([{ path: 'resource.labelSelector.matchLabels', message: 'kaito.sh/workspace is reserved for the controller and ignored', warning: true }]);
  });

  it('leaves updates (the selector is immutable) and tuning Workspaces alone, as Kaito does', () => {
    const bad = withSelector({ matchLabels: { 'kaito.sh/workspace': 'x' } });
    expect(labelSelectorRules(makeAdmissionInput({ workspace: bad, old: bad }))).toEqual([]);
    const tuning = makeTuningWorkspace({ resource: { labelSelector: { matchLabels: { 'kaito.sh/workspace': 'x' } } } });
    expect(labelSelectorRules(makeAdmissionInput({ workspace: tuning }))).toEqual([]);
  });
});

describe('selectorLabels', () => {
  it('merges matchLabels and single-value In requirements, without reserved keys', () => {
    const ws = withSelector({ matchLabels: { apps: 'phi-3', 'kaito.sh/workspacenamespace': 'x' }, matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] });
    expect(selectorLabels(ws)).toEqual({ apps: 'phi-3', pool: 'gpu' });
  });

  it('is undefined for a selector that is not a label map', () => {
    expect(selectorLabels(withSelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }))).toBeUndefined();
  });
});
