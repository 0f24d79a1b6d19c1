import { GiB, kvBytesPerTokenPerGpu, pipelineStages, stageLayers } from './memory.js';
import { getModel } from './models.js';

describe('pipeline stages', () => {
  it.each([
    // layers, stages, vLLM's split: the remainder goes to the stages before the last, second-to-last first
    [80, 1, [80]],
    [80, 8, [10, 10, 10, 10, 10, 10, 10, 10]],
    [80, 9, [9, 9, 9, 9, 9, 9, 9, 9, 8]],
    [32, 3, [11, 11, 10]],
    [40, 6, [6, 7, 7, 7, 7, 6]],
  ])('splits %i layers over %i stages as %j', (layers, pp, expected) => {
    expect(stageLayers(layers, pp)).toEqual(expected);
    expect(stageLayers(layers, pp).reduce((a, b) => a + b, 0)).toBe(layers);
  });

  it('puts the input embeddings on the first stage and the output layer on the last', () => {
    const m = getModel('llama-3.3-70b-instruct');
    const stages = pipelineStages(m, m.weightsGiB, 'bfloat16', 9);
    const matrix = (128256 * 8192 * 2) / GiB;
    const perLayer = (m.weightsGiB - 2 * matrix) / 80;
    expect(stages[0]).toMatchObject({ layers: 9, embeddings: true, outputLayer: false });
    expect(stages[0]?.weightsGiB).toBeCloseTo(9 * perLayer + matrix, 6);
    expect(stages[4]?.weightsGiB).toBeCloseTo(9 * perLayer, 6);
    expect(stages[8]).toMatchObject({ layers: 8, embeddings: false, outputLayer: true });
    expect(stages[8]?.weightsGiB).toBeCloseTo(8 * perLayer + matrix, 6);
    // untied: the files hold both matrices, so the stages add up to the weights
    expect(stages.reduce((a, s) => a + s.weightsGiB, 0)).toBeCloseTo(m.weightsGiB, 6);
  });

  it('assumes tied embeddings when the catalog does not say, which charges every stage at least as much', () => {
    const m = getModel('llama-3.3-70b-instruct');
    const { tieWordEmbeddings: _known, ...arch } = m.arch;
    const untied = pipelineStages(m, m.weightsGiB, 'bfloat16', 9);
    const assumed = pipelineStages({ ...m, arch }, m.weightsGiB, 'bfloat16', 9);
    assumed.forEach((s, i) => expect(s.weightsGiB).toBeGreaterThan(untied[i]?.weightsGiB ?? Infinity));
  });

  it('keeps the whole model on one stage', () => {
    const m = getModel('phi-4');
    expect(pipelineStages(m, m.weightsGiB, 'bfloat16', 1)).toEqual([{ layers: 40, embeddings: true, outputLayer: true, weightsGiB: m.weightsGiB }]);
  });
});

describe('KV cache per GPU for one pipeline stage', () => {
  it.each([
    // llama-3.3-70b: 8 KV heads split by tensor parallel, 128 dims, K and V, 2 bytes
    ['llama-3.3-70b-instruct', 4, 80, 80 * 2 * 128 * 2 * 2],
    ['llama-3.3-70b-instruct', 2, 9, 9 * 4 * 128 * 2 * 2],
    // falcon-7b has one KV head: every tensor-parallel rank keeps it whole
    ['falcon-7b', 4, 32, 32 * 1 * 64 * 2 * 2],
    // latent attention: one 512 + 64 latent per token and layer, whole on every tensor-parallel rank
    ['deepseek-r1-0528', 8, 61, 61 * (512 + 64) * 2],
    ['deepseek-r1-0528', 8, 8, 8 * (512 + 64) * 2],
    ['mistral-large-3-675b-instruct', 1, 31, 31 * (512 + 64) * 2],
  ])('%s at tensor parallel %i with %i layers on the stage', (name, tp, layers, bytes) => {
    expect(kvBytesPerTokenPerGpu(getModel(name), 'bfloat16', tp, layers)).toBe(bytes);
  });
});
