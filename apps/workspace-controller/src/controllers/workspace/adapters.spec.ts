import { getModel } from '@kaito-ts/presets';
import { adapterPodParts, adapterProblems, type Adapter } from './adapters.js';

const image = (name: string, strength?: string): Adapter => ({ source: { name, image: `example.com/${name}:1` }, ...(strength !== undefined ? { strength } : {}) });
const phi = getModel('phi-3-mini-4k-instruct');
const noLoRA = { name: 'no-lora-model', vllm: { allowLoRA: false } };

describe('adapterProblems', () => {
  it.each<[string, Adapter[], Parameters<typeof adapterProblems>[1], string[]]>([
    ['adapters without strength on vLLM', [image('a'), image('b')], { model: phi, runtime: 'vllm' }, []],
    ['a strength in range on transformers', [image('a', '0.5'), image('b', '1'), image('c', '0'), image('d', '1.0')], { model: phi, runtime: 'transformers' }, []],
    ['a strength on vLLM', [image('a', '0.5')], { model: phi, runtime: 'vllm' }, ['inference.adapters[0].strength: vLLM does not weight adapters; remove strength from "a", or serve with the transformers runtime (annotation kaito.sh/runtime: transformers)']],
    ['a strength above 1', [image('a'), image('b', '1.5')], { model: phi, runtime: 'transformers' }, ['inference.adapters[1].strength: expected a number between 0 and 1, got "1.5" (e.g. "0.5")']],
    ['a strength that is not a number', [image('a', 'strong')], { model: phi, runtime: 'transformers' }, ['inference.adapters[0].strength: expected a number between 0 and 1, got "strong" (e.g. "0.5")']],
    ['a negative strength', [image('a', '-0.1')], { model: phi, runtime: 'transformers' }, ['inference.adapters[0].strength: expected a number between 0 and 1, got "-0.1" (e.g. "0.5")']],
    ['any adapter on a model vLLM cannot serve LoRA for', [image('a')], { model: noLoRA, runtime: 'vllm' }, ['inference.adapters: no-lora-model does not accept LoRA adapters on vLLM; remove the adapters or choose another preset']],
    ['no adapter on that model', [], { model: noLoRA, runtime: 'vllm' }, []],
  ])('finds %s', (_name, adapters, target, want) => {
    expect(adapterProblems(adapters, target).map((p) => `${p.field}: ${p.message}`)).toEqual(want);
  });
});

describe('adapterPodParts', () => {
  it('gives each image adapter its own puller and each volume adapter its own volume', () => {
    const parts = adapterPodParts([image('a'), { source: { name: 'v', volumeSource: { hostPath: { path: '/data/v' } } } }, image('b')]);
    expect(parts.initContainers.map((c) => c.name)).toEqual(['puller-a', 'puller-b']);
    expect(parts.volumes).toEqual([{ name: 'adapter-v', hostPath: { path: '/data/v' } }]);
    expect(parts.mounts).toEqual([{ name: 'adapter-v', mountPath: '/mnt/adapter/v', readOnly: true }]);
  });

  it('keeps container names DNS labels and distinct when adapter names only differ by a dot', () => {
    const parts = adapterPodParts([image('a.b'), image('a-b'), image(`x${'y'.repeat(80)}`)]);
    const names = parts.initContainers.map((c) => c.name);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('uses the puller image it is given', () => {
    expect(adapterPodParts([image('a')], { pullerImage: 'mirror.example.com/skopeo:1' }).initContainers[0]?.image).toBe('mirror.example.com/skopeo:1');
  });
});
