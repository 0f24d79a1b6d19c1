import { API_VERSION_V1ALPHA1, type Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { adapterRules, presetRules } from './preset.js';

type Adapters = NonNullable<NonNullable<Workspace['inference']>['adapters']>;

const preset = (name: string, extra: Partial<Workspace> = {}, annotations: Record<string, string> = {}): Workspace => {
  const ws = makeInferenceWorkspace({ metadata: { name: 'ws', namespace: 'default', annotations } });
  return { ...ws, inference: { preset: { name } }, ...extra };
};
const withAdapters = (adapters: Adapters, annotations: Record<string, string> = {}, name = 'phi-3-mini-4k-instruct'): Workspace => {
  const ws = preset(name, {}, annotations);
  return { ...ws, inference: { ...ws.inference, adapters } };
};
const adapter = (name: string, strength?: string): Adapters[number] => ({ source: { name, image: `registry.example.com/adapters/${name}:1` }, ...(strength !== undefined ? { strength } : {}) });

describe('presetRules', () => {
  it.each([
    ['a catalog preset', 'phi-3-mini-4k-instruct'],
    ['a Hugging Face id of a catalog preset', 'microsoft/Phi-3-mini-4k-instruct'],
    ['a reference-system alias', 'gemma-3-27b-instruct'],
  ])('admits %s', (_, name) => {
    const ws = name.startsWith('gemma') ? { ...preset(name), inference: { preset: { name, presetOptions: { modelAccessSecret: 'hf' } } } } : preset(name);
    expect(presetRules(makeAdmissionInput({ workspace: ws }))).toEqual([]);
  });

  it('refuses a retired preset, naming what replaced it', () => {
    expect(presetRules(makeAdmissionInput({ workspace: preset('phi-2') }))).toEqual([
      { path: 'inference.preset.name', message: expect.stringContaining('preset "phi-2" is deprecated and no longer served; choose a current preset such as phi-3-mini-4k-instruct') },
    ]);
  });

  it('refuses an unknown preset with close matches', () => {
    const [finding] = presetRules(makeAdmissionInput({ workspace: preset('phi-3-mini-4k-instruc') }));
    expect(finding?.path).toBe('inference.preset.name');
    expect(finding?.message).toContain('unknown model "phi-3-mini-4k-instruc"; did you mean "phi-3-mini-4k-instruct"');
  });

  it('refuses a Hugging Face id that is not in the catalog, saying only catalog models are served', () => {
    expect(presetRules(makeAdmissionInput({ workspace: preset('someorg/some-model-7b') }))).toEqual([
      { path: 'inference.preset.name', message: '"someorg/some-model-7b" is not in the preset catalog, and only catalog models can be planned and served (list the presets: npm run presets -- list)' },
    ]);
  });

  it('refuses a runtime the preset does not support', () => {
    expect(presetRules(makeAdmissionInput({ workspace: preset('qwen3-8b-awq', {}, { 'kaito.sh/runtime': 'transformers' }) }))).toEqual([
      { path: 'metadata.annotations["kaito.sh/runtime"]', message: expect.stringContaining('qwen3-8b-awq does not run on transformers; it supports vllm') },
    ]);
  });

  it('refuses a gated model without modelAccessSecret', () => {
    expect(presetRules(makeAdmissionInput({ workspace: preset('llama-3.1-8b-instruct') }))).toEqual([
      { path: 'inference.preset.presetOptions.modelAccessSecret', message: expect.stringContaining('llama-3.1-8b-instruct is gated on Hugging Face and needs a token to download: set it to a Secret') },
    ]);
  });

  it('tells a v1alpha1 user of a gated model to move to v1beta1 (v1alpha1 has no modelAccessSecret)', () => {
    const ws = { ...preset('llama-3.1-8b-instruct'), apiVersion: API_VERSION_V1ALPHA1 } as Workspace;
    expect(presetRules(makeAdmissionInput({ workspace: ws }))[0]?.message).toContain('use apiVersion kaito.sh/v1beta1');
  });

  it('admits a gated model with modelAccessSecret', () => {
    const ws = { ...preset('llama-3.1-8b-instruct'), inference: { preset: { name: 'llama-3.1-8b-instruct', presetOptions: { modelAccessSecret: 'hf-token' } } } };
    expect(presetRules(makeAdmissionInput({ workspace: ws }))).toEqual([]);
  });

  it('leaves template Workspaces and updates alone', () => {
    const template = { ...makeInferenceWorkspace(), inference: { template: { spec: {} } } };
    expect(presetRules(makeAdmissionInput({ workspace: template }))).toEqual([]);
    expect(presetRules(makeAdmissionInput({ workspace: preset('phi-2'), old: preset('phi-2') }))).toEqual([]);
  });
});

describe('adapterRules', () => {
  it.each<[string, Adapters, Record<string, string>]>([
    ['adapters without strength on vLLM', [adapter('a'), adapter('b')], {}],
    ['strength 0, 0.5 and 1 on transformers', [adapter('a', '0'), adapter('b', '0.5'), adapter('c', '1.0')], { 'kaito.sh/runtime': 'transformers' }],
  ])('admits %s', (_, adapters, annotations) => {
    expect(adapterRules(makeAdmissionInput({ workspace: withAdapters(adapters, annotations) }))).toEqual([]);
  });

  it.each([
    ['1.5', 'expected a number from 0 to 1, got "1.5"'],
    ['-0.1', 'expected a number from 0 to 1, got "-0.1"'],
    ['strong', 'expected a number from 0 to 1, got "strong"'],
    ['', 'expected a number from 0 to 1, got ""'],
  ])('refuses strength %j', (strength, message) => {
    const ws = withAdapters([adapter('a', strength)], { 'kaito.sh/runtime': 'transformers' });
    expect(adapterRules(makeAdmissionInput({ workspace: ws }))).toEqual([{ path: 'inference.adapters[0].strength', message: expect.stringContaining(message) }]);
  });

  it('refuses any strength on vLLM, which cannot weight adapters', () => {
    expect(adapterRules(makeAdmissionInput({ workspace: withAdapters([adapter('a'), adapter('b', '0.5')]) }))).toEqual([
      { path: 'inference.adapters[1].strength', message: expect.stringContaining('vLLM applies adapters at full strength') },
    ]);
  });

  it('refuses adapters on a model whose vLLM build cannot load LoRA', () => {
    expect(adapterRules(makeAdmissionInput({ workspace: withAdapters([adapter('a')], {}, 'falcon-7b') }))).toEqual([
      { path: 'inference.adapters', message: expect.stringContaining('falcon-7b cannot load LoRA adapters on vLLM') },
    ]);
  });

  it('refuses more than 10 adapters and duplicate names', () => {
    const many = Array.from({ length: 11 }, (_, i) => adapter(`a${i}`));
    expect(adapterRules(makeAdmissionInput({ workspace: withAdapters(many) })).map((f) => f.path)).toEqual(['inference.adapters']);
    expect(adapterRules(makeAdmissionInput({ workspace: withAdapters([adapter('a'), adapter('a')]) }))).toEqual([
      { path: 'inference.adapters[1].source.name', message: 'adapter names must be unique; "a" appears more than once' },
    ]);
  });

  it('re-checks adapters on an update only when they changed', () => {
    const bad = withAdapters([adapter('a', '0.5')]);
    expect(adapterRules(makeAdmissionInput({ workspace: bad, old: bad }))).toEqual([]);
    expect(adapterRules(makeAdmissionInput({ workspace: bad, old: withAdapters([adapter('a')]) }))).toHaveLength(1);
  });
});
