import type { Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput, makeGpuNode } from '../testing/admission.js';
import { byoNodeRules } from './byo.js';

/** A BYO Workspace: no instanceType, nodes chosen by apps=phi-3. */
function byo(): Workspace {
  const ws = makeInferenceWorkspace();
  return { ...ws, resource: { labelSelector: { matchLabels: { apps: 'phi-3' } } } };
}

const selected = { apps: 'phi-3' };

describe('byoNodeRules', () => {
  it('admits matching nodes with the same GPU labels', () => {
    const nodes = [makeGpuNode('a', selected), makeGpuNode('b', selected), makeGpuNode('other', { apps: 'x' }, { product: 'A100' })];
    expect(byoNodeRules(makeAdmissionInput({ workspace: byo(), nodes }))).toEqual([]);
  });

  it('refuses when no node matches, saying how to label one', () => {
    const findings = byoNodeRules(makeAdmissionInput({ workspace: byo(), nodes: [makeGpuNode('other', { apps: 'x' })] }));
    expect(findings).toEqual([{ path: 'resource.labelSelector', message: expect.stringContaining('no node matches {apps: phi-3}: without resource.instanceType') }]);
    expect(findings[0]?.message).toContain('kubectl label node <node> apps=phi-3');
  });

  it('refuses a matching node without GPU feature discovery labels', () => {
    const findings = byoNodeRules(makeAdmissionInput({ workspace: byo(), nodes: [makeGpuNode('bare', selected, false)] }));
    expect(findings).toEqual([
      { path: 'resource.labelSelector', message: expect.stringContaining('node bare matches but has no nvidia.com/gpu.product, nvidia.com/gpu.count, nvidia.com/gpu.memory labels') },
    ]);
  });

  it.each([
    ['product', { product: 'NVIDIA-A100-SXM4-80GB' }, 'nvidia.com/gpu.product'],
    ['count', { count: '2' }, 'nvidia.com/gpu.count'],
    ['memory', { memory: '32768' }, 'nvidia.com/gpu.memory'],
  ])('refuses nodes that differ in GPU %s', (what, gpu, key) => {
    const nodes = [makeGpuNode('a', selected), makeGpuNode('b', selected, gpu)];
    expect(byoNodeRules(makeAdmissionInput({ workspace: byo(), nodes }))).toEqual([
      { path: 'resource.labelSelector', message: expect.stringContaining(`the selected nodes differ in GPU ${what}: a has ${key}=`) },
    ]);
  });

  it('ignores reserved selector keys when matching, as the controller does', () => {
    const ws = byo();
    const reserved = { ...ws, resource: { labelSelector: { matchLabels: { apps: 'phi-3', 'kaito.sh/workspace': 'other' } } } };
    expect(byoNodeRules(makeAdmissionInput({ workspace: reserved, nodes: [makeGpuNode('a', selected)] }))).toEqual([]);
  });

  it('leaves provisioned, template, partitioned and updated Workspaces alone', () => {
    const none = { nodes: [] };
    expect(byoNodeRules(makeAdmissionInput({ workspace: makeInferenceWorkspace(), ...none }))).toEqual([]);
    expect(byoNodeRules(makeAdmissionInput({ workspace: { ...byo(), inference: { template: {} } }, ...none }))).toEqual([]);
    const partitioned = { ...byo(), resource: { labelSelector: { matchLabels: selected }, partition: { mode: 'accelerator' as const, count: 1 } } };
    expect(byoNodeRules(makeAdmissionInput({ workspace: partitioned, ...none }))).toEqual([]);
    expect(byoNodeRules(makeAdmissionInput({ workspace: byo(), old: byo(), ...none }))).toEqual([]);
  });
});
