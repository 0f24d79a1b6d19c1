import { Annotations, type Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { inferenceRevision, needsRollout, REVISION_HASH_ANNOTATION } from './revision.js';

const base = makeInferenceWorkspace();
const withAnnotations = (annotations: Record<string, string>): Workspace => makeInferenceWorkspace({ metadata: { annotations } });

describe('inferenceRevision', () => {
  it('is a 16-character hex string', () => {
    expect(inferenceRevision(base)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('does not depend on key order', () => {
    const reordered: Workspace = { ...base, inference: { preset: { presetOptions: { modelAccessSecret: 's' }, name: 'phi-3-mini-128k-instruct' } } };
    const ordered: Workspace = { ...base, inference: { preset: { name: 'phi-3-mini-128k-instruct', presetOptions: { modelAccessSecret: 's' } } } };
    expect(inferenceRevision(reordered)).toBe(inferenceRevision(ordered));
  });

  it.each<[string, Workspace]>([
    ['the preset', makeInferenceWorkspace({ inference: { preset: { name: 'phi-4' } } })],
    ['the model access secret', makeInferenceWorkspace({ inference: { preset: { name: 'phi-3-mini-128k-instruct', presetOptions: { modelAccessSecret: 'hf' } } } })],
    ['the config map', makeInferenceWorkspace({ inference: { config: 'my-config' } })],
    ['the adapters', makeInferenceWorkspace({ inference: { adapters: [{ source: { name: 'a', image: 'r/a:1' } }] } })],
    ['the runtime annotation', withAnnotations({ [Annotations.runtime]: 'transformers' })],
  ])('changes with %s', (_what, changed) => {
    expect(inferenceRevision(changed)).not.toBe(inferenceRevision(base));
  });

  it.each<[string, Workspace]>([
    ['the status', makeInferenceWorkspace({ status: { state: 'Ready', workerNodes: ['n1'] } })],
    ['the generation and labels', makeInferenceWorkspace({ metadata: { generation: 7, labels: { team: 'a' } } })],
    ['an unrelated annotation', withAnnotations({ [Annotations.enableLoadBalancer]: 'True' })],
    ['the resource count', makeInferenceWorkspace({ resource: { count: 3 } })],
  ])('does not change with %s', (_what, changed) => {
    expect(inferenceRevision(changed)).toBe(inferenceRevision(base));
  });
});

describe('needsRollout', () => {
  const revision = inferenceRevision(base);
  it.each([
    ['nothing is observed yet', undefined, true],
    ['the observed object has no annotation', { metadata: {} }, true],
    ['the observed object has another hash', { metadata: { annotations: { [REVISION_HASH_ANNOTATION]: '0000000000000000' } } }, true],
    ['the observed object has this hash', { metadata: { annotations: { [REVISION_HASH_ANNOTATION]: revision } } }, false],
  ])('is %#: %s', (_name, observed, expected) => {
    expect(needsRollout(observed, revision)).toBe(expected);
  });
});
