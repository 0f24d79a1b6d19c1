import { AnyWorkspace } from '@kaito-ts/api';
import { loadWorkspaceFixtures, makeInferenceWorkspace, makeTuningWorkspace } from '@kaito-ts/api/testing';
import { decode } from '@kaito-ts/core';
import { makeAdmissionInput } from '../testing/admission.js';
import { denialMessage, rulesFor, TUNING_RULES, validateWorkspace, WORKSPACE_RULES } from './rules.js';
import type { WorkspaceRule } from './types.js';

describe('validateWorkspace', () => {
  it('admits the seed Workspace', () => {
    expect(validateWorkspace(makeAdmissionInput())).toEqual({ errors: [], warnings: [] });
  });

  it('collects the errors of every rule and keeps warnings apart', () => {
    const ws = makeInferenceWorkspace({ metadata: { name: 'ws', namespace: 'default', annotations: { 'kaito.sh/use-local-weights': 'maybe' } } });
    const bad = { ...ws, resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: 'x', 'kaito.sh/workspace': 'y' } } }, inference: { preset: { name: 'phi-3-medium-128k-instruct' } } };
    const verdict = validateWorkspace(makeAdmissionInput({ workspace: bad }));
    expect(verdict.errors.map((e) => e.path)).toEqual(['metadata.annotations["kaito.sh/use-local-weights"]', 'resource.instanceType']);
    expect(verdict.warnings).toEqual(['resource.labelSelector.matchLabels: kaito.sh/workspace is reserved for the controller and ignored']);
  });

  it('never refuses an update of a Workspace being deleted, so its finalizer can come off', () => {
    const old = makeInferenceWorkspace();
    const deleting = { ...old, metadata: { ...old.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' }, resource: { ...old.resource, instanceType: 'Standard_NC24ads_A100_v4' } };
    expect(validateWorkspace(makeAdmissionInput({ workspace: deleting, old }))).toEqual({ errors: [], warnings: [] });
  });

  it('runs the tuning rules only for tuning Workspaces', () => {
    const tuningRule: WorkspaceRule = () => [{ path: 'tuning.config', message: 'checked' }];
    TUNING_RULES.push(tuningRule);
    try {
      expect(rulesFor(makeTuningWorkspace())).toContain(tuningRule);
      expect(rulesFor(makeInferenceWorkspace())).toEqual(WORKSPACE_RULES);
      expect(validateWorkspace(makeAdmissionInput({ workspace: makeTuningWorkspace() })).errors).toEqual([{ path: 'tuning.config', message: 'checked' }]);
    } finally {
      TUNING_RULES.splice(TUNING_RULES.indexOf(tuningRule), 1);
    }
  });
});

describe('denialMessage', () => {
  it('puts one problem on the line', () => {
    expect(denialMessage('Workspace default/ws', [{ path: 'resource.instanceType', message: 'bad' }])).toBe('Workspace default/ws is invalid: resource.instanceType: bad');
  });

  it('numbers several, one per line', () => {
    expect(
      denialMessage('Workspace default/ws', [
        { path: 'a', message: 'one' },
        { path: 'b', message: 'two' },
      ]),
    ).toBe('Workspace default/ws is invalid (2 problems):\n  1. a: one\n  2. b: two');
  });
});

describe('the API fixture corpus', () => {
  /** Valid for the CRD, refused by the webhook for reasons that need the catalog or the cluster. */
  const REFUSED: Record<string, string[]> = {
    'v03-v1beta1-inference-config-secret.yaml': ['resource.instanceType'], // llama-3.1-8b-instruct does not fit a 16 GiB V100
    'v05-inference-adapters.yaml': ['inference.adapters[0].strength'], // strength on vLLM, as Kaito refuses it
    'v14-no-instance-type-v1beta1.yaml': ['resource.labelSelector'], // bring-your-own nodes, and the cluster view has none
  };
  const valid = loadWorkspaceFixtures().filter((f) => f.valid);

  it.each(valid.map((f) => [f.file, f] as const))('%s passes the webhook, or is refused only where the catalog or cluster says so', (file, fixture) => {
    const decoded = decode(AnyWorkspace, fixture.object);
    if (!decoded.ok) throw new Error(`${file} no longer decodes`);
    const old = fixture.old !== undefined ? decode(AnyWorkspace, fixture.old) : undefined;
    const workspace = { ...decoded.value, metadata: { namespace: 'default', ...decoded.value.metadata } };
    const verdict = validateWorkspace(makeAdmissionInput({ workspace, ...(old?.ok === true ? { old: old.value } : {}) }));
    expect(verdict.errors.map((e) => e.path)).toEqual(REFUSED[file] ?? []);
  });
});

describe('the API fixture corpus, invalid updates', () => {
  const updates = loadWorkspaceFixtures().filter((f) => !f.valid && f.old !== undefined);

  it.each(updates.map((f) => [f.file, f] as const))('%s is refused by the webhook too (for an API server whose CRD lacks the rule)', (file, fixture) => {
    const decoded = decode(AnyWorkspace, fixture.object);
    const old = decode(AnyWorkspace, fixture.old);
    if (!decoded.ok || !old.ok) throw new Error(`${file} no longer decodes`);
    const verdict = validateWorkspace(makeAdmissionInput({ workspace: decoded.value, old: old.value }));
    expect(verdict.errors).not.toEqual([]);
  });
});
