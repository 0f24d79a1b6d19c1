import { UnknownModelError, UnknownSkuError } from './errors.js';
import { customModel, getModel, listModels } from './models.js';
import { plan, suggestSkus, type Plan } from './planner.js';
import { getSku } from './skus.js';

const SKUS = ['Standard_NC6s_v3', 'Standard_NV36ads_A10_v5', 'Standard_NC24ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND96isr_H100_v5', 'Standard_NC24s_v3'] as const;

/**
 * vLLM on one node, for every catalog model on a V100 16 GiB, A10 24 GiB, A100 80 GiB, 4x A100,
 * 8x H100 and 4x V100: `-` does not fit, `tpN` fits with tensor parallel N, `tpNppM` with M
 * pipeline stages on the node's GPUs as well (the node's other GPUs serve as data-parallel
 * replicas). Adding a model to the catalog means adding its row here.
 */
const INFERENCE: Record<string, [string, string, string, string, string, string]> = {
  'phi-3-mini-4k-instruct': ['tp1', 'tp1', 'tp1', 'tp1', 'tp1', 'tp1'],
  'phi-3-mini-128k-instruct': ['tp1', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  'phi-3-medium-4k-instruct': ['-', '-', 'tp1', 'tp1', 'tp1', 'tp2pp2'],
  'phi-3-medium-128k-instruct': ['-', '-', 'tp1', 'tp1', 'tp1', 'tp2pp2'],
  'phi-3.5-mini-instruct': ['tp1', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  'phi-4-mini-instruct': ['tp1', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  'phi-4': ['-', '-', 'tp1', 'tp1', 'tp1', 'tp2pp2'],
  // 13.45 GiB of weights + overhead exceed a V100's 13.3 GiB usable; 71 heads forbid tensor parallel, so
  // 4x V100 hold it as 2 pipeline stages, twice
  'falcon-7b': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp1pp2'],
  'falcon-7b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp1pp2'],
  'falcon-40b': ['-', '-', '-', 'tp2', 'tp2', '-'],
  'falcon-40b-instruct': ['-', '-', '-', 'tp2', 'tp2', '-'],
  'mistral-7b': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp2'],
  'mistral-7b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp2'],
  'llama-3.1-8b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  'llama-3.3-70b-instruct': ['-', '-', '-', 'tp4', 'tp4', '-'],
  'qwen2.5-coder-7b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp2'],
  'qwen2.5-coder-32b-instruct': ['-', '-', 'tp1', 'tp2', 'tp2', '-'],
  'deepseek-r1-distill-llama-8b': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  'deepseek-r1-distill-qwen-14b': ['-', '-', 'tp1', 'tp1', 'tp1', 'tp4'],
  // MXFP4 needs compute capability >= 8.0: never on a V100
  'gpt-oss-20b': ['-', 'tp1', 'tp1', 'tp1', 'tp1', '-'],
  'gpt-oss-120b': ['-', '-', 'tp1', 'tp2', 'tp2', '-'],
  'gemma-3-1b-it': ['tp1', 'tp1', 'tp1', 'tp1', 'tp1', 'tp1'],
  // Gemma overflows in fp16, so a V100 needs float32: twice the weights
  'gemma-3-4b-it': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  'gemma-3-12b-it': ['-', '-', 'tp1', 'tp2', 'tp2', '-'],
  'gemma-3-27b-it': ['-', '-', 'tp1', 'tp2', 'tp2', '-'],
  // FP8 weights need compute capability >= 8.0: never on a V100
  'ministral-3-3b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', '-'],
  'ministral-3-8b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', '-'],
  'ministral-3-14b-instruct': ['-', 'tp1', 'tp1', 'tp1', 'tp1', '-'],
  // 634.7 and 641.3 GiB of weights exceed one 8x H100 node (8 x 66.9 GiB usable): these need several nodes
  'mistral-large-3-675b-instruct': ['-', '-', '-', '-', '-', '-'],
  'deepseek-r1-0528': ['-', '-', '-', '-', '-', '-'],
  'deepseek-v3-0324': ['-', '-', '-', '-', '-', '-'],
  // Nemotron-H hybrids: KV cache is counted for every layer, Mamba ones included, so these are conservative.
  // 2 KV heads: tensor parallel 4 copies them onto every GPU, so 2 x 2 pipeline stages hold more context;
  // on 4x V100 float32 doubles the weights (the 30B ones: 120 GiB > 4 x 11 GiB)
  'nemotron-3-super-120b-a12b': ['-', '-', '-', 'tp2pp2', 'tp2pp2', '-'],
  'nemotron-cascade-2-30b-a3b': ['-', '-', 'tp1', 'tp2', 'tp2', '-'],
  'nemotron-3-nano-30b-a3b': ['-', '-', 'tp1', 'tp2', 'tp2', '-'],
  'nemotron-nano-12b-v2-vl': ['-', '-', 'tp1', 'tp1', 'tp1', '-'],
  'nemotron-nano-9b-v2': ['-', '-', 'tp1', 'tp1', 'tp1', 'tp4'],
  'nemotron-3-nano-4b': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
  // AWQ 4-bit weights in float16: fits even a V100 (4x V100: tp2 is the fewest GPUs for the full 40,960 tokens)
  'qwen3-8b-awq': ['tp1', 'tp1', 'tp1', 'tp1', 'tp1', 'tp2'],
  // FP8, 214.4 GiB: 4x A100 hold 173k of its 204,800 tokens at tp4, 8x H100 all of them at tp8
  'minimax-m2.7': ['-', '-', '-', 'tp4', 'tp8', '-'],
  // 15.6 GiB of bf16 weights: one A10 holds 6,656 tokens; 4x V100 need tp4 for the full 131,072 in float16
  'granite-4.1-8b': ['-', 'tp1', 'tp1', 'tp1', 'tp1', 'tp4'],
};

function outcome(p: Plan): string {
  return p.fits ? `tp${p.tensorParallel}${p.pipelineParallel > 1 ? `pp${p.pipelineParallel}` : ''}` : '-';
}

describe('planner: every catalog model on a set of SKUs', () => {
  it('has an expected row for every catalog model', () => {
    expect(Object.keys(INFERENCE).sort()).toEqual(listModels().map((m) => m.name).sort());
  });

  const cases = Object.entries(INFERENCE).flatMap(([model, row]) => SKUS.map((sku, i) => [model, sku, row[i] ?? '?'] as const));
  it.each(cases)('plans %s on %s as %s', (model, sku, expected) => {
    expect(outcome(plan(model, sku))).toBe(expected);
  });

  it.each(cases.filter(([, , expected]) => expected === '-'))('explains why %s does not fit %s', (model, sku) => {
    const p = plan(model, sku);
    expect(p.reasons[0]).toMatch(/needs|compute capability/);
    expect(p.suggestion?.text).toMatch(/choose|allow/);
  });

  it.each(cases.filter(([, , expected]) => expected !== '-'))('keeps %s on %s within the usable GPU memory', (model, sku) => {
    const p = plan(model, sku);
    expect(p.memory.totalGiB).toBeLessThanOrEqual(p.memory.capacityGiB + 0.01);
    expect(p.tensorParallel * p.pipelineParallel * p.dataParallel).toBe(getSku(sku).gpuCount);
  });
});

describe('planner: the seed workspace and misfits', () => {
  it('fits phi-3-mini-128k-instruct on Standard_NC6s_v3 with a shorter context in float16', () => {
    const p = plan('phi-3-mini-128k-instruct', 'Standard_NC6s_v3');
    expect(p).toMatchObject({ fits: true, nodeCount: 1, gpusPerNode: 1, tensorParallel: 1, pipelineParallel: 1, dtype: 'float16', maxModelLen: 9984 });
  });

  it('says a V100 lacks bfloat16 and FlashAttention and what it does instead', () => {
    expect(plan('phi-3-mini-128k-instruct', 'Standard_NC6s_v3').reasons.join('\n')).toContain(
      "compute capability 7.0), below Kaito's 8.0 floor: no bfloat16 and no FlashAttention-2; vLLM still runs (it needs >= 7.0) with slower attention kernels; serving in float16",
    );
  });

  it('says when the context is shorter than the model supports', () => {
    expect(plan('phi-3-mini-128k-instruct', 'Standard_NC6s_v3').reasons).toContain(
      'context limited to 9,984 tokens (phi-3-mini-128k-instruct supports 131,072); a GPU with more memory or more GPUs per node would hold more',
    );
  });

  it('serves the full context where memory allows', () => {
    expect(plan('phi-3-mini-128k-instruct', 'Standard_NC24ads_A100_v4').maxModelLen).toBe(131072);
  });

  it('honours an explicit maxModelLen', () => {
    expect(plan('phi-3-mini-128k-instruct', 'Standard_NC6s_v3', 'vllm', { maxModelLen: 4096 }).maxModelLen).toBe(4096);
  });

  it('does not fit when even the minimum context does not fit', () => {
    expect(plan('qwen2.5-coder-32b-instruct', 'Standard_NC24ads_A100_v4', 'vllm', { minModelLen: 16384 }).fits).toBe(false);
  });

  it('explains a misfit with sizes and a way out', () => {
    expect(plan('phi-3-medium-128k-instruct', 'Standard_NC6s_v3').reasons[0]).toBe(
      'phi-3-medium-128k-instruct needs about 29.2 GiB of GPU memory (26.5 GiB weights, 0.4 GiB KV cache for 2,048 tokens, 2.3 GiB runtime overhead); ' +
        'Standard_NC6s_v3 offers 16.0 GiB per node nominal (1x Tesla-V100-PCIE-16GB, 13.3 GiB usable (84% of the 15.8 GiB Tesla-V100-PCIE-16GB exposes to CUDA; 16 GiB nominal) per GPU); ' +
        'choose Standard_NC24ads_A100_v4 or Standard_NC64as_T4_v3 or allow 3 nodes',
    );
  });

  it('suggests SKUs from the same cloud', () => {
    const skus = plan('llama-3.3-70b-instruct', 'g5.xlarge').suggestion?.skus ?? [];
    expect(skus.length).toBeGreaterThan(0);
    expect(skus.filter((s) => s.startsWith('Standard_'))).toEqual([]);
  });

  it('blocks MXFP4 gpt-oss on a V100 and suggests an Ampere-or-newer SKU', () => {
    const p = plan('gpt-oss-20b', 'Standard_NC6s_v3');
    expect(p.reasons[0]).toBe(
      'gpt-oss-20b ships MXFP4 weights whose kernels need compute capability >= 8.0; Standard_NC6s_v3 has Tesla-V100-PCIE-16GB (compute capability 7.0); ' +
        'choose Standard_NV36ads_A10_v5 or Standard_NC24ads_A100_v4',
    );
  });

  it('runs Gemma 3 in float32 on a V100 because it overflows in float16', () => {
    const p = plan('gemma-3-1b-it', 'Standard_NC6s_v3');
    expect(p.dtype).toBe('float32');
    expect(p.reasons.join('\n')).toContain('gemma-3-1b-it overflows in float16, so it must run in float32 (twice the weight memory)');
  });

  it('uses bfloat16 on Ampere and newer', () => {
    expect(plan('llama-3.1-8b-instruct', 'Standard_NV36ads_A10_v5').dtype).toBe('bfloat16');
  });

  it('says a gated model needs a Hugging Face token', () => {
    expect(plan('llama-3.1-8b-instruct', 'Standard_NV36ads_A10_v5').reasons).toContain(
      'meta-llama/Llama-3.1-8B-Instruct is gated: set a Hugging Face token (modelAccessSecret, key HF_TOKEN)',
    );
  });

  it('says where the weights go on an NVMe SKU', () => {
    expect(plan('phi-4', 'Standard_NC24ads_A100_v4').reasons).toContain("needs 150.0 GiB disk: weights go to the node's 960 GiB local NVMe");
  });
});

describe('planner: parallelism', () => {
  it.each([
    // model, sku, maxNodes, nodes, tp, pp, dp
    ['llama-3.3-70b-instruct', 'Standard_NC24ads_A100_v4', 3, 3, 1, 3, 1],
    ['llama-3.3-70b-instruct', 'Standard_NC48ads_A100_v4', 4, 2, 2, 2, 1],
    ['phi-3-medium-128k-instruct', 'Standard_NC6s_v3', 4, 3, 1, 3, 1],
    ['phi-3-mini-4k-instruct', 'Standard_NC96ads_A100_v4', 1, 1, 1, 1, 4],
    ['falcon-7b', 'g5.12xlarge', 1, 1, 1, 1, 4],
    ['llama-3.3-70b-instruct', 'Standard_ND96isr_H100_v5', 1, 1, 4, 1, 2],
  ])('plans %s on %s (up to %i nodes) as %i node(s), tp %i, pp %i, dp %i', (model, sku, maxNodes, nodes, tp, pp, dp) => {
    expect(plan(model, sku, 'vllm', { maxNodes })).toMatchObject({ fits: true, nodeCount: nodes, tensorParallel: tp, pipelineParallel: pp, dataParallel: dp });
  });

  it.each([
    // model, sku: one node holds the minimum context, so allowing more nodes must not add any
    ['phi-3-mini-128k-instruct', 'Standard_NC6s_v3', 9984],
    // A10 and A10G: 82% of the 22.5 GiB they expose to CUDA; Kaito's 1.5 GiB overhead on an A10, 2.3 GiB on an A10G
    ['phi-3-mini-128k-instruct', 'Standard_NV36ads_A10_v5', 26368],
    ['mistral-7b', 'g5.xlarge', 19200],
  ] as const)('keeps %s on one %s node when it fits there, however many nodes are allowed', (model, sku, maxModelLen) => {
    expect(plan(model, sku, 'vllm', { maxNodes: 8 })).toMatchObject({ fits: true, nodeCount: 1, pipelineParallel: 1, maxModelLen });
  });

  it('uses the fewest nodes that hold the minimum context, not more nodes for a longer one', () => {
    // 3 x 16 GiB V100 hold phi-3-medium-128k with a shorter context; 5 would hold all 131,072 tokens
    expect(plan('phi-3-medium-128k-instruct', 'Standard_NC6s_v3', 'vllm', { maxNodes: 8 })).toMatchObject({ fits: true, nodeCount: 3, pipelineParallel: 3 });
  });

  it('prices a SKU in suggestSkus at the node count it needs, not at more nodes for more context', () => {
    const s = suggestSkus('phi-3-mini-128k-instruct', { cloud: 'azure', maxNodes: 8 }).find((x) => x.sku.name === 'Standard_NC6s_v3');
    expect(s).toMatchObject({ hourlyUsd: 3.06, plan: { nodeCount: 1 } });
  });

  it('agrees with Kaito estimator on the node count for llama-3.3-70b on single-A100 nodes', () => {
    // Kaito: avail = (80 x 0.84 - 2.3 - 2048 x 327680 B) / 1.05 = 61.2 GiB; minGPU = floor(1.02 x 131.42 / 61.2) + 1 = 3
    expect(plan('llama-3.3-70b-instruct', 'Standard_NC24ads_A100_v4', 'vllm', { maxNodes: 8 }).nodeCount).toBe(3);
  });

  it('runs falcon-7b as pipeline stages across a 2-GPU node when its 71 heads forbid tensor parallelism, and says why', () => {
    const p = plan('falcon-7b', 'Standard_NC12s_v3');
    expect(p).toMatchObject({ fits: true, nodeCount: 1, tensorParallel: 1, pipelineParallel: 2, dataParallel: 1 });
    expect(p.reasons).toContain(
      "2 GPUs: tensor parallel 1, pipeline parallel 2 across the node's GPUs; tensor parallel stops at 1: falcon-7b cannot use tensor parallelism (71 attention heads do not split)",
    );
  });

  it('counts one KV head per GPU when tensor parallel exceeds the KV heads', () => {
    const p = plan('falcon-40b', 'Standard_ND96isr_H100_v5', 'vllm', { maxModelLen: 2048 });
    expect(p.memory.kvBytesPerToken).toBe((60 * Math.ceil(8 / p.tensorParallel) * 64 * 2 * 2));
  });
});

describe('planner: pipeline stages, layouts within a node, node counts', () => {
  it('gives llama-3.3-70b on single-A10 nodes 9 nodes, as Kaito computes, because the first stage also holds the input embeddings', () => {
    const p = plan('llama-3.3-70b-instruct', 'Standard_NV36ads_A10_v5', 'vllm', { maxNodes: 16 });
    expect(p).toMatchObject({ fits: true, nodeCount: 9, tensorParallel: 1, pipelineParallel: 9, dataParallel: 1, nodes: { minimum: 9, requested: 1, verdict: 'too-few' } });
    expect(p.reasons).toContain('the tightest GPU holds pipeline stage 1 of 9: 9 of 80 layers + input embeddings; 0.3 GiB KV cache there');
    expect(p.reasons.find((r) => r.startsWith('8 nodes would not do: pipeline stage 1 of 8: 10 of 80 layers + input embeddings would need 18.2 GiB weights'))).toBeDefined();
  });

  it('says the numbers of the fit: weights, overhead, KV cache and the memory the GPU exposes to CUDA', () => {
    expect(plan('llama-3.3-70b-instruct', 'Standard_NV36ads_A10_v5', 'vllm', { maxNodes: 16 }).reasons[0]).toBe(
      'fits: per GPU 16.6 GiB weights + 1.5 GiB overhead + 0.3 GiB KV cache (9,984 tokens x 36 KiB; 0.1 GiB for the 2,048-token minimum) <= 18.4 GiB usable (82% of the 22.5 GiB NVIDIA-A10 exposes to CUDA; 24 GiB nominal)',
    );
  });

  it('says when a GPU has no measured CUDA figure and the nominal size is used', () => {
    expect(plan('phi-3-mini-4k-instruct', 'Standard_NC4_A2').reasons[0]).toMatch(/usable \(84% of 16\.0 GiB nominal; no measured CUDA figure for NVIDIA-A2\)$/);
  });

  it.each([
    // model, SKU (GPUs), tp, pp, dp: heads that do not divide by the GPU count become pipeline stages on the node
    ['falcon-7b', 'Standard_NC12s_v3', 1, 2, 1],
    ['falcon-7b', 'Standard_NC24s_v3', 1, 2, 2],
    ['falcon-7b', 'Standard_NC64as_T4_v3', 1, 2, 2],
    // 40 attention heads and 10 KV heads: tensor parallel 2, not 4
    ['phi-3-medium-4k-instruct', 'Standard_NC24s_v3', 2, 2, 1],
    ['phi-3-medium-128k-instruct', 'Standard_NC64as_T4_v3', 2, 2, 1],
    ['phi-4', 'Standard_NC24s_v3', 2, 2, 1],
    ['phi-4', 'Standard_NC64as_T4_v3', 2, 2, 1],
  ] as const)('fits %s on one %s node as tp %i x pp %i, dp %i, without another node', (model, sku, tp, pp, dp) => {
    expect(plan(model, sku, 'vllm', { maxNodes: 4 })).toMatchObject({ fits: true, nodeCount: 1, tensorParallel: tp, pipelineParallel: pp, dataParallel: dp, nodes: { minimum: 1 } });
  });

  it('uses pipeline stages rather than tensor parallel 4 when 4 GPUs would each copy the 2 KV heads, and says so', () => {
    // nemotron-3-super: 88 layers, 2 KV heads. tp4: 58.7 GiB weights + 2.3 + 88 x 1 head x 128 x 2 x 2 B = 44 KiB a token
    // leaves room for ~147k tokens; tp2 x pp2: 59.0 GiB + 2.3 + 44 layers x 22 KiB holds the full 262,144
    const p = plan('nemotron-3-super-120b-a12b', 'Standard_NC96ads_A100_v4');
    expect(p).toMatchObject({ fits: true, tensorParallel: 2, pipelineParallel: 2, dataParallel: 1, maxModelLen: 262144 });
    expect(p.reasons).toContain(
      "4 GPUs: tensor parallel 2, pipeline parallel 2 across the node's GPUs; tensor parallel stops at 2: tensor parallel 4 holds less KV cache (the 2 KV heads are copied onto every GPU past 2), pipeline stages split it",
    );
  });

  it('spans nodes with a latent-attention model, its KV cache whole on every tensor-parallel GPU of a stage', () => {
    // deepseek-r1-0528: 641.3 GiB x 1.02 = 654.1 GiB does not fit 8 x 66.9 GiB; stage 1 holds 31 of 61 layers and the
    // 16-bit input embeddings (129,280 x 7,168 x 2 B = 1.73 GiB; untied, so the layers share 654.1 - 2 x 1.73 GiB):
    // (31 x 10.67 + 1.73) / 8 = 41.5 GiB; KV 31 x (512 + 64) x 2 B a token
    const p = plan('deepseek-r1-0528', 'Standard_ND96isr_H100_v5', 'vllm', { maxNodes: 4 });
    expect(p).toMatchObject({ fits: true, nodeCount: 2, tensorParallel: 8, pipelineParallel: 2, maxModelLen: 163840, nodes: { minimum: 2 } });
    expect(p.memory.kvBytesPerToken).toBe(31 * (512 + 64) * 2);
    expect(p.reasons[0]).toBe(
      'fits: per GPU 41.5 GiB weights + 2.3 GiB overhead + 5.4 GiB KV cache (163,840 tokens x 35 KiB; 0.1 GiB for the 2,048-token minimum) <= 66.9 GiB usable (84% of the 79.6 GiB NVIDIA-H100-80GB-HBM3 exposes to CUDA; 80 GiB nominal)',
    );
  });

  it.each([
    // the reference's GSM8K baselines (benchmarks/gsm8k/baselines.yaml) serve minimax-m2.7 on these node counts
    ['Standard_NC24ads_A100_v4', 4, 'pipeline stage 1 of 3: 21 of 62 layers + input embeddings would need 74.4 GiB weights'],
    ['Standard_NC40ads_H100_v5', 3, 'pipeline stage 1 of 2: 31 of 62 layers + input embeddings would need 109.3 GiB weights'],
  ] as const)('needs the nodes the reference serves minimax-m2.7 on: %s x %i', (sku, nodes, fewer) => {
    // 214.4 GiB x 1.02 over the stages; the first stage also holds the 16-bit input embeddings (1.1 GiB)
    const p = plan('minimax-m2.7', sku, 'vllm', { maxNodes: 8 });
    expect(p).toMatchObject({ fits: true, nodeCount: nodes, tensorParallel: 1, pipelineParallel: nodes, nodes: { minimum: nodes } });
    expect(p.reasons.find((r) => r.startsWith(`${nodes - 1} nodes would not do: ${fewer}`))).toBeDefined();
  });

  it.each(['Standard_NV36ads_A10_v5', 'Standard_NC24ads_A100_v4', 'Standard_NC40ads_H100_v5'])(
    'fits granite-4.1-8b on one %s node, as the reference GSM8K baselines serve it',
    (sku) => {
      expect(plan('granite-4.1-8b', sku)).toMatchObject({ fits: true, nodeCount: 1, nodes: { minimum: 1 } });
    },
  );

  it('needs a second 2x V100 node for phi-4: 27.9 GiB of weights and 2x 2.3 GiB overhead exceed 2x 13.3 GiB', () => {
    expect(plan('phi-4', 'Standard_NC12s_v3', 'vllm', { maxNodes: 4 })).toMatchObject({ fits: true, nodeCount: 2, tensorParallel: 2, pipelineParallel: 2 });
  });

  it('spans nodes with pipeline stages within each node where tensor parallelism stops short of the node', () => {
    // 40 heads, 10 KV heads on 4 GPUs: tp 2 x 2 stages per node
    const p = plan('phi-3-medium-4k-instruct', 'Standard_NC24s_v3', 'vllm', { maxNodes: 4, gpuMemoryUtilization: 0.45 });
    expect(p).toMatchObject({ fits: true, nodeCount: 2, tensorParallel: 2, pipelineParallel: 4 });
    expect(p.reasons).toContain(
      '2 nodes x 4 GPUs: tensor parallel 2 x 2 pipeline stages within a node, pipeline parallel 4 in all (Ray); tensor parallel stops at 2: 40 attention heads and 10 KV heads do not divide by 4',
    );
  });

  it.each([
    [9, 'enough'],
    [12, 'more-than-needed'],
    [4, 'too-few'],
  ] as const)('compares a resource.count of %i with the 9 nodes llama-3.3-70b needs on A10s: %s', (requestedNodes, verdict) => {
    expect(plan('llama-3.3-70b-instruct', 'Standard_NV36ads_A10_v5', 'vllm', { maxNodes: 16, requestedNodes }).nodes).toEqual({ minimum: 9, requested: requestedNodes, verdict });
  });

  it('states the minimum node count even when maxNodes forbids it', () => {
    const p = plan('llama-3.3-70b-instruct', 'Standard_NC24ads_A100_v4');
    expect(p.fits).toBe(false);
    expect(p.nodes).toEqual({ minimum: 3, requested: 1, verdict: 'too-few' });
    expect(p.reasons).toContain('3 nodes of Standard_NC24ads_A100_v4 would hold it; 1 allowed');
  });

  it('has no minimum when no node count holds the model (Transformers cannot span nodes)', () => {
    expect(plan('llama-3.3-70b-instruct', 'Standard_NC24ads_A100_v4', 'transformers', { requestedNodes: 2 }).nodes).toEqual({ requested: 2, verdict: 'too-few' });
  });

  it('calls one node enough for a tuning plan that fits, and too few for one that does not', () => {
    expect(plan('phi-4', 'Standard_NC24ads_A100_v4', 'transformers', { mode: 'tuning' }).nodes).toEqual({ minimum: 1, requested: 1, verdict: 'enough' });
    expect(plan('phi-4', 'Standard_NC6s_v3', 'transformers', { mode: 'tuning', tuningMethod: 'lora' }).nodes.verdict).toBe('too-few');
  });

  it('runs a custom org/model on the transformers runtime as well as vLLM', () => {
    const custom = customModel({ id: 'acme/chat-7b', weightsGiB: 14 });
    expect(plan(custom, 'Standard_NC24ads_A100_v4', 'transformers')).toMatchObject({ fits: true, runtime: 'transformers', nodeCount: 1 });
    expect(plan(custom, 'Standard_NC24ads_A100_v4', 'vllm')).toMatchObject({ fits: true, runtime: 'vllm' });
  });
});

describe('planner: transformers runtime', () => {
  it('places a model across the GPUs of one node', () => {
    const p = plan('llama-3.3-70b-instruct', 'Standard_NC96ads_A100_v4', 'transformers');
    expect(p).toMatchObject({ fits: true, runtime: 'transformers', nodeCount: 1, tensorParallel: 1, gpusPerNode: 4 });
    expect(p.reasons).toContain("Transformers places the layers across the node's 4 GPUs (device_map=auto); it cannot span nodes");
  });

  it('never spans nodes', () => {
    const p = plan('llama-3.3-70b-instruct', 'Standard_NC24ads_A100_v4', 'transformers', { maxNodes: 4 });
    expect(p.fits).toBe(false);
    expect(p.reasons).toContain('Transformers cannot span nodes; vLLM can (pipeline parallel over Ray)');
  });

  it('suggests vLLM when it would fit where Transformers does not', () => {
    const p = plan('llama-3.3-70b-instruct', 'Standard_NC24ads_A100_v4', 'transformers', { maxNodes: 4 });
    expect(p.suggestion?.other).toEqual(['use runtime vllm']);
  });

  it('rejects a runtime the model does not support', () => {
    const custom = customModel({ id: 'acme/vllm-only', weightsGiB: 2, runtimes: ['vllm'] });
    const p = plan(custom, 'Standard_NC6s_v3', 'transformers');
    expect(p.fits).toBe(false);
    expect(p.reasons[0]).toBe('acme/vllm-only does not run on transformers; it supports vllm; use runtime vllm');
  });
});

describe('planner: tuning', () => {
  const tuning = (model: string, sku: string, method: 'lora' | 'qlora') => plan(model, sku, 'transformers', { mode: 'tuning', tuningMethod: method });

  it.each([
    // model, V100 16 GiB qlora, lora, A100 80 GiB qlora, lora
    ['phi-3-mini-128k-instruct', true, true, true, true],
    ['phi-3-medium-128k-instruct', true, false, true, true],
    ['phi-4', true, false, true, true],
    ['mistral-7b', true, false, true, true],
    ['qwen2.5-coder-7b-instruct', true, false, true, true],
    ['qwen2.5-coder-32b-instruct', false, false, true, true],
    ['falcon-7b', true, false, true, true],
    ['falcon-40b', false, false, true, false],
  ])('tunes %s: V100 qlora %s, lora %s; A100 qlora %s, lora %s', (model, v100q, v100l, a100q, a100l) => {
    expect([
      tuning(model, 'Standard_NC6s_v3', 'qlora').fits,
      tuning(model, 'Standard_NC6s_v3', 'lora').fits,
      tuning(model, 'Standard_NC24ads_A100_v4', 'qlora').fits,
      tuning(model, 'Standard_NC24ads_A100_v4', 'lora').fits,
    ]).toEqual([v100q, v100l, a100q, a100l]);
  });

  it('fits the seed: qlora of phi-3-mini-128k-instruct on Standard_NC6s_v3, in fp16', () => {
    const p = tuning('phi-3-mini-128k-instruct', 'Standard_NC6s_v3', 'qlora');
    expect(p).toMatchObject({ fits: true, mode: 'tuning', runtime: 'tuning-runner', tuningMethod: 'qlora', nodeCount: 1, dtype: 'float16', maxModelLen: 1024 });
    expect(p.reasons).toContain(
      "Standard_NC6s_v3 has Tesla-V100-PCIE-16GB (compute capability 7.0), below Kaito's 8.0 floor: no bfloat16 and no FlashAttention-2; " +
        'train in fp16 (fp16: true; bnb_4bit_compute_dtype: float16) instead of the bf16 template',
    );
  });

  it.each([
    ['qlora', 'qlora: 4-bit NF4 base weights (~0.55 byte/param = 2.0 GiB)'],
    ['lora', 'lora: bfloat16 base weights (7.1 GiB)'],
  ] as const)('states the weight assumption for %s', (method, text) => {
    expect(tuning('phi-3-mini-128k-instruct', 'Standard_NC24ads_A100_v4', method).reasons).toContain(text);
  });

  it('suggests qlora when lora does not fit', () => {
    const p = tuning('phi-4', 'Standard_NC6s_v3', 'lora');
    expect(p.suggestion?.other).toEqual(['use qlora']);
    expect(p.reasons[0]).toMatch(/^lora tuning of phi-4 needs about \d+\.\d GiB per GPU .*; choose Standard_NC24ads_A100_v4 .*or use qlora$/);
  });

  it('names the presets that can be tuned when the model cannot', () => {
    const p = tuning('llama-3.1-8b-instruct', 'Standard_NC24ads_A100_v4', 'qlora');
    expect(p.fits).toBe(false);
    expect(p.reasons[0]).toMatch(/^llama-3.1-8b-instruct does not support tuning; presets that do: phi-3-mini-4k-instruct, .*qwen2.5-coder-32b-instruct$/);
  });

  it('grows with the sequence length', () => {
    const short = plan('phi-3-mini-4k-instruct', 'Standard_NC6s_v3', 'transformers', { mode: 'tuning', tuningMethod: 'lora', tuningMaxSeqLength: 512 });
    const long = plan('phi-3-mini-4k-instruct', 'Standard_NC6s_v3', 'transformers', { mode: 'tuning', tuningMethod: 'lora', tuningMaxSeqLength: 4096 });
    expect(long.memory.totalGiB).toBeGreaterThan(short.memory.totalGiB);
  });

  it('gives every GPU of the node a data-parallel replica', () => {
    expect(tuning('phi-3-mini-4k-instruct', 'Standard_NC96ads_A100_v4', 'qlora')).toMatchObject({ gpusPerNode: 4, dataParallel: 4, nodeCount: 1 });
  });
});

describe('planner: misfit reasons for conditions', () => {
  it.each([
    ['phi-4', 'Standard_NC6s_v3', 'vllm', {}, 'ModelDoesNotFit'],
    ['gpt-oss-20b', 'Standard_NC6s_v3', 'vllm', {}, 'GpuNotSupported'],
    ['llama-3.1-8b-instruct', 'Standard_NC24ads_A100_v4', 'vllm', { mode: 'tuning' }, 'TuningNotSupported'],
    ['qwen2.5-coder-32b-instruct', 'Standard_NC6s_v3', 'vllm', { mode: 'tuning', tuningMethod: 'qlora' }, 'ModelDoesNotFit'],
  ] as const)('gives %s on %s (%s, %j) the reason %s', (model, sku, runtime, options, reason) => {
    expect(plan(model, sku, runtime, options).misfitReason).toBe(reason);
  });

  it('gives a runtime the model lacks the reason RuntimeNotSupported', () => {
    expect(plan(customModel({ id: 'acme/x', weightsGiB: 1, runtimes: ['vllm'] }), 'Standard_NC6s_v3', 'transformers').misfitReason).toBe('RuntimeNotSupported');
  });

  it('gives a fitting plan no misfit reason', () => {
    expect(plan('phi-4', 'Standard_NC24ads_A100_v4').misfitReason).toBeUndefined();
  });
});

describe('planner: options and inputs', () => {
  it('calls a misfit a fit when the memory check is bypassed, and says so', () => {
    const p = plan('phi-4', 'Standard_NC6s_v3', 'vllm', { bypassMemoryCheck: true });
    expect(p.fits).toBe(true);
    expect(p.reasons).toContain('memory check bypassed (kaito.sh/bypass-resource-checks): expect OOM at start-up');
  });

  it('does not bypass what memory cannot fix', () => {
    expect(plan('gpt-oss-20b', 'Standard_NC6s_v3', 'vllm', { bypassMemoryCheck: true }).fits).toBe(false);
  });

  it('never serves less than the minimum context asked for when rounding the context down', () => {
    // 0.6999 x 15.8 GiB leaves room for about 4,050 tokens: below the 4,096 wanted, above the 4,000 minimum
    const p = plan('phi-3-mini-4k-instruct', 'Standard_NC6s_v3', 'vllm', { minModelLen: 4000, gpuMemoryUtilization: 0.6999 });
    expect(p.fits).toBe(true);
    expect(p.maxModelLen).toBeGreaterThanOrEqual(4000);
    expect(p.maxModelLen).toBeLessThan(4096);
    expect(p.memory.totalGiB).toBeLessThanOrEqual(p.memory.capacityGiB);
  });

  it('suggests only SKUs that fit without the bypass, even when the memory check is bypassed', () => {
    // gpt-oss-120b (61 GiB of MXFP4 weights) cannot run on a V100 at all, and does not fit a 24 GiB A10 either
    const p = plan('gpt-oss-120b', 'Standard_NC6s_v3', 'vllm', { bypassMemoryCheck: true });
    expect(p.misfitReason).toBe('GpuNotSupported');
    expect(p.suggestion?.skus.length).toBeGreaterThan(0);
    for (const sku of p.suggestion?.skus ?? []) expect(plan('gpt-oss-120b', sku).fits).toBe(true);
  });

  it('lists in suggestSkus only SKUs that fit, even when the memory check is bypassed', () => {
    const list = suggestSkus('llama-3.3-70b-instruct', { cloud: 'azure', bypassMemoryCheck: true });
    expect(list.length).toBeGreaterThan(0);
    for (const s of list) expect(plan('llama-3.3-70b-instruct', s.sku).fits).toBe(true);
  });

  it('uses the A10 utilisation Kaito uses', () => {
    expect(plan('phi-3-mini-4k-instruct', 'Standard_NV36ads_A10_v5').gpuMemoryUtilization).toBe(0.82);
  });

  it('notes guessed facts for a custom model', () => {
    const p = plan(customModel({ id: 'acme/chat-7b', weightsGiB: 14 }), 'Standard_NC24ads_A100_v4');
    expect(p.fits).toBe(true);
    expect(p.reasons.find((r) => r.startsWith('custom model: best effort; guessed'))).toBeDefined();
  });

  it('throws UnknownModelError for an unknown model name', () => {
    expect(() => plan('phi-5', 'Standard_NC6s_v3')).toThrow(UnknownModelError);
  });

  it('throws UnknownSkuError for an unknown SKU name', () => {
    expect(() => plan('phi-4', 'Standard_NC6s_v9')).toThrow(UnknownSkuError);
  });
});

describe('suggestSkus', () => {
  it('lists only fitting SKUs, cheapest first', () => {
    const list = suggestSkus('llama-3.1-8b-instruct');
    expect(list.length).toBeGreaterThan(3);
    expect(list.every((s) => s.plan.fits)).toBe(true);
    expect(list.map((s) => s.hourlyUsd ?? Infinity)).toEqual([...list.map((s) => s.hourlyUsd ?? Infinity)].sort((a, b) => a - b));
  });

  it.each([
    ['phi-3-mini-4k-instruct', 'azure', 'Standard_NC4as_T4_v3'],
    ['llama-3.1-8b-instruct', 'azure', 'Standard_NV36ads_A10_v5'],
    ['llama-3.1-8b-instruct', 'aws', 'g6.xlarge'],
    ['llama-3.3-70b-instruct', 'azure', 'Standard_NC80adis_H100_v5'],
  ] as const)('puts the cheapest fit for %s on %s first: %s', (model, cloud, first) => {
    expect(suggestSkus(model, { cloud })[0]?.sku.name).toBe(first);
  });

  it('counts every node of a multi-node fit in the price', () => {
    const s = suggestSkus('llama-3.3-70b-instruct', { cloud: 'azure', maxNodes: 2 }).find((x) => x.plan.nodeCount === 2);
    expect(s).toBeDefined();
    expect(s?.hourlyUsd).toBeCloseTo(2 * (s?.sku.pricePerHourUsd ?? 0), 2);
  });

  it('plans tuning when asked', () => {
    expect(suggestSkus(getModel('phi-3-mini-128k-instruct'), { mode: 'tuning', tuningMethod: 'qlora' }).every((s) => s.plan.mode === 'tuning')).toBe(true);
  });
});
