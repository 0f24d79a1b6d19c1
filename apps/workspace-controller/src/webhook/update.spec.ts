import type { Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { immutableFields } from './update.js';

const old = makeInferenceWorkspace();
const changed = (f: (ws: Workspace) => Workspace) => immutableFields(makeAdmissionInput({ workspace: f(structuredClone(old)), old }));

describe('immutableFields', () => {
  it.each<[string, (ws: Workspace) => Workspace]>([
    ['labels and annotations', (ws) => ({ ...ws, metadata: { ...ws.metadata, labels: { team: 'a' }, annotations: { note: 'x' } } })],
    ['presetOptions (a new modelAccessSecret rolls the pods)', (ws) => ({ ...ws, inference: { preset: { name: 'phi-3-mini-128k-instruct', presetOptions: { modelAccessSecret: 'hf-2' } } } })],
    ['adapters', (ws) => ({ ...ws, inference: { ...ws.inference, adapters: [{ source: { name: 'a', image: 'r.example.com/a:1' } }] } })],
  ])('admits a change of %s', (_, f) => {
    expect(changed(f)).toEqual([]);
  });

  it.each<[string, (ws: Workspace) => Workspace, string]>([
    ['the instance type', (ws) => ({ ...ws, resource: { ...ws.resource, instanceType: 'Standard_NC24ads_A100_v4' } }), 'resource.instanceType'],
    ['the label selector', (ws) => ({ ...ws, resource: { ...ws.resource, labelSelector: { matchLabels: { apps: 'other' } } } }), 'resource.labelSelector'],
    ['the node count', (ws) => ({ ...ws, resource: { ...ws.resource, count: 2 } }), 'resource.count'],
    ['the preset name', (ws) => ({ ...ws, inference: { preset: { name: 'phi-4' } } }), 'inference.preset.name'],
    ['preset to template', (ws) => ({ ...ws, inference: { template: {} } }), 'inference'],
  ])('refuses a change of %s', (_, f, path) => {
    expect(changed(f)).toEqual([{ path, message: expect.stringContaining('create a new Workspace') }]);
  });

  it('does nothing on create', () => {
    expect(immutableFields(makeAdmissionInput({ workspace: old }))).toEqual([]);
  });
});
