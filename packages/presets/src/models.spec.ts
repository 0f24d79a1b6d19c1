import modelData from './catalog/models.json' with { type: 'json' };
import { CatalogInvalidError, InvalidCustomModelError, UnknownModelError } from './errors.js';
import { customModel, decodeModelCatalog, findModel, getModel, kvBytesPerToken, listModels, resolveModel } from './models.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('preset model catalog', () => {
  it('decodes every entry of the bundled catalog', () => {
    expect(listModels().length).toBe((modelData as { models: unknown[] }).models.length);
  });

  it.each([
    'phi-3-mini-4k-instruct',
    'phi-3-mini-128k-instruct',
    'phi-3-medium-4k-instruct',
    'phi-3-medium-128k-instruct',
    'phi-3.5-mini-instruct',
    'phi-4',
    'phi-4-mini-instruct',
    'falcon-7b',
    'falcon-7b-instruct',
    'falcon-40b',
    'mistral-7b',
    'mistral-7b-instruct',
    'llama-3.1-8b-instruct',
    'llama-3.3-70b-instruct',
    'qwen2.5-coder-7b-instruct',
    'qwen2.5-coder-32b-instruct',
    'deepseek-r1-distill-llama-8b',
    'deepseek-r1-distill-qwen-14b',
    'gpt-oss-20b',
    'gpt-oss-120b',
    'gemma-3-4b-it',
    'gemma-3-27b-it',
  ])('has the preset %s', (name) => {
    expect(findModel(name)?.name).toBe(name);
  });

  it.each([
    // Kaito model_catalog.yaml modelFileSize (kaito-workspace.md §5)
    ['phi-4', 27.31],
    ['phi-3-mini-128k-instruct', 7.12],
    ['llama-3.1-8b-instruct', 14.96],
    ['llama-3.3-70b-instruct', 131.42],
    ['qwen2.5-coder-32b-instruct', 61.03],
    ['gemma-3-27b-it', 51.1],
  ])('gives %s %f GiB of weights, as Kaito', (name, gib) => {
    expect(getModel(name).weightsGiB).toBe(gib);
  });

  it.each([
    // Kaito BytesPerToken = 4 x layers x kvHeads x headDim for 16-bit models
    ['phi-3-mini-128k-instruct', 4 * 32 * 32 * 96],
    ['llama-3.1-8b-instruct', 4 * 32 * 8 * 128],
    ['llama-3.3-70b-instruct', 4 * 80 * 8 * 128],
    ['falcon-7b', 4 * 32 * 1 * 64],
  ])('estimates %s at %i KV-cache bytes per token', (name, bytes) => {
    expect(kvBytesPerToken(getModel(name))).toBe(bytes);
  });

  it.each([
    // multi-head latent attention caches kvLoraRank + qkRopeHeadDim values per layer, not per-head K and V
    ['deepseek-r1-0528', 61 * (512 + 64) * 2],
    ['mistral-large-3-675b-instruct', 61 * (512 + 64) * 2],
  ])('estimates %s, which uses latent attention, at %i KV-cache bytes per token', (name, bytes) => {
    expect(kvBytesPerToken(getModel(name))).toBe(bytes);
  });

  it('doubles KV bytes per token in float32', () => {
    const m = getModel('gemma-3-4b-it');
    expect(kvBytesPerToken(m, 'float32')).toBe(2 * kvBytesPerToken(m, 'bfloat16'));
  });

  it.each([
    ['microsoft/Phi-3-mini-128k-instruct', 'phi-3-mini-128k-instruct'],
    ['PHI-3-MINI-128K-INSTRUCT', 'phi-3-mini-128k-instruct'],
    ['mistral-7b-instruct-v0.3', 'mistral-7b-instruct'],
    ['  phi-4  ', 'phi-4'],
  ])('resolves %s to the preset %s', (input, name) => {
    expect(getModel(input).name).toBe(name);
  });

  it.each([
    ['phi-3-mini-128k', 'phi-3-mini-128k-instruct'],
    ['lama-3.1-8b-instruct', 'llama-3.1-8b-instruct'],
    ['qwen2.5-coder-7b', 'qwen2.5-coder-7b-instruct'],
  ])('lists close matches when %s is mistyped', (input, expected) => {
    const e = thrown(() => getModel(input));
    expect(e).toBeInstanceOf(UnknownModelError);
    expect((e as UnknownModelError).closeMatches).toContain(expected);
    expect((e as UnknownModelError).message).toContain(`did you mean`);
  });

  it('tells how to use an uncatalogued Hugging Face id', () => {
    expect(() => getModel('someorg/some-model')).toThrow('to plan it as a custom Hugging Face model, supply its weight size');
  });

  it.each([
    ['models[3].weightsGiB: expected a positive number, got -1', (ms: Record<string, unknown>[]) => (ms[3] = { ...ms[3], weightsGiB: -1 })],
    ['models[0].hfRepo: expected a Hugging Face id "org/model"', (ms: Record<string, unknown>[]) => (ms[0] = { ...ms[0], hfRepo: 'phi3' })],
    ['models[2].runtimes[0]: expected one of: vllm, transformers, got "tgi"', (ms: Record<string, unknown>[]) => (ms[2] = { ...ms[2], runtimes: ['tgi'] })],
    ['models[1].wieghtsGiB: unknown field', (ms: Record<string, unknown>[]) => (ms[1] = { ...ms[1], wieghtsGiB: 1 })],
    ['models[5].arch.kvHeads: expected a divisor of attentionHeads', (ms: Record<string, unknown>[]) => (ms[5] = { ...ms[5], arch: { ...(ms[5]?.['arch'] as object), kvHeads: 7 } })],
    ['models[6].name: "phi-4" is already used by models[4]', (ms: Record<string, unknown>[]) => (ms[4] = { ...ms[4], name: 'phi-4' })],
  ])('rejects a catalog whose entry is wrong: %s', (message, corrupt) => {
    const models = structuredClone((modelData as { models: Record<string, unknown>[] }).models);
    corrupt(models);
    const e = thrown(() => decodeModelCatalog({ models }));
    expect(e).toBeInstanceOf(CatalogInvalidError);
    expect((e as CatalogInvalidError).message).toContain(message);
  });
});

describe('custom Hugging Face models', () => {
  it('builds a best-effort entry from an id and a weight size', () => {
    const m = customModel({ id: 'acme/chat-7b', weightsGiB: 14 });
    expect(m).toMatchObject({ name: 'acme/chat-7b', hfRepo: 'acme/chat-7b', revision: 'main', weightsGiB: 14, custom: true, runtimes: ['vllm', 'transformers'] });
  });

  it('lists which facts it guessed', () => {
    expect([...customModel({ id: 'acme/chat-7b', weightsGiB: 14, layers: 32 }).guessed].sort()).toEqual(
      ['attentionHeads', 'contextLength', 'headDim', 'hiddenSize', 'kvHeads', 'vocabSize'],
    );
  });

  it('uses the architecture it is given', () => {
    const m = customModel({ id: 'acme/chat-7b', weightsGiB: 14, layers: 28, attentionHeads: 28, kvHeads: 4, headDim: 128, hiddenSize: 3584, vocabSize: 152064, contextLength: 32768 });
    expect(m.guessed).toEqual([]);
    expect(kvBytesPerToken(m)).toBe(28 * 4 * 128 * 2 * 2);
  });

  it.each([
    ['id: expected a Hugging Face id "org/model", got "chat-7b"', { id: 'chat-7b', weightsGiB: 1 }],
    ['weightsGiB: expected a positive number, got 0', { id: 'a/b', weightsGiB: 0 }],
    ['weightsGiB: expected a positive number, got nothing', { id: 'a/b' }],
    ['kvHeads: expected a divisor of attentionHeads (32), got 5', { id: 'a/b', weightsGiB: 1, attentionHeads: 32, kvHeads: 5 }],
    ['layerz: unknown field', { id: 'a/b', weightsGiB: 1, layerz: 3 }],
  ])('rejects bad input saying "%s"', (message, input) => {
    const e = thrown(() => customModel(input));
    expect(e).toBeInstanceOf(InvalidCustomModelError);
    expect((e as InvalidCustomModelError).message).toContain(message);
  });

  it('prefers the catalog entry over custom sizes for a known id', () => {
    expect(resolveModel('microsoft/phi-4', { weightsGiB: 1 }).weightsGiB).toBe(27.31);
  });

  it('uses custom sizes for an unknown id', () => {
    expect(resolveModel('acme/chat-7b', { weightsGiB: 3 }).weightsGiB).toBe(3);
  });
});
