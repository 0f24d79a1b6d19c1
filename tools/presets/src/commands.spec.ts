import { parse } from 'yaml';
import { main, USAGE } from './commands.js';

describe('presets CLI', () => {
  it.each([
    ['plan phi-3-mini-128k-instruct Standard_NC6s_v3', 0, 'phi-3-mini-128k-instruct on Standard_NC6s_v3: inference (vllm): FITS'],
    // 4x T4 hold it as tensor parallel 2 x 2 pipeline stages, cheaper than 2x A10
    ['plan phi-3-medium-128k-instruct Standard_NC6s_v3', 1, 'choose Standard_NC24ads_A100_v4 or Standard_NC64as_T4_v3 or allow 3 nodes'],
    ['plan llama-3.3-70b-instruct Standard_NV36ads_A10_v5 --max-nodes 16', 0, 'nodes 9 x 1 GPU  tensorParallel 1  pipelineParallel 9'],
    ['plan llama-3.3-70b-instruct Standard_NV36ads_A10_v5 --max-nodes 16', 0, '8 nodes would not do: pipeline stage 1 of 8'],
    ['plan llama-3.3-70b-instruct Standard_NV36ads_A10_v5 --max-nodes 16 --count 12', 0, 'fewest nodes that fit: 9; resource.count 12: more than needed'],
    ['plan llama-3.3-70b-instruct Standard_NV36ads_A10_v5', 1, 'fewest nodes that fit: 9; resource.count 1: too few'],
    ['skus --cloud azure-local', 0, 'Standard_NC32_A16'],
    ['plan phi-3-mini-128k-instruct Standard_NC6s_v3 --tuning qlora', 0, 'qlora tuning: FITS'],
    ['plan llama-3.3-70b-instruct Standard_NC24ads_A100_v4 --max-nodes 3', 0, 'nodes 3 x 1 GPU  tensorParallel 1  pipelineParallel 3'],
    ['plan phi-4 Standard_NC24ads_A100_v4 --runtime transformers', 0, 'inference (transformers): FITS'],
    ['plan acme/chat-7b Standard_NC24ads_A100_v4 --weights-gib 14 --layers 32 --kv-heads 8', 0, 'custom model: best effort; guessed'],
    ['plan acme/chat-7b Standard_NC24ads_A100_v4 --weights-gib 13.5', 0, 'custom model: best effort; guessed'],
    ['models', 0, 'phi-3-mini-128k-instruct       microsoft/Phi-3-mini-128k-instruct'],
    ['models', 0, 'mistral-large-3-675b-instruct  mistralai/Mistral-Large-3-675B-Instruct-2512'],
    // the reference system's own preset name for gemma-3-27b-it
    ['plan gemma-3-27b-instruct Standard_NC24ads_A100_v4', 0, 'gemma-3-27b-it on Standard_NC24ads_A100_v4: inference (vllm): FITS'],
    ['skus --cloud aws', 0, 'p5.48xlarge'],
    ['suggest llama-3.1-8b-instruct --cloud aws --limit 1', 0, 'g6.xlarge'],
    ['render phi-3-mini-128k-instruct Standard_NC6s_v3', 0, '--max-model-len=9984'],
    ['render phi-3-mini-128k-instruct Standard_NC6s_v3 --tuning qlora --registry localhost:5001', 0, 'image: localhost:5001/kaito-ts/tuning-runner:0.1.0'],
    ['--help', 0, 'usage: presets <command>'],
    ['plan --help', 0, '--max-model-len N'],
  ])('`presets %s` exits %i and prints "%s"', (args, code, text) => {
    const r = main(args.split(' '));
    expect(r.code).toBe(code);
    expect(r.out).toContain(text);
  });

  it.each([
    ['plan phi-3-mini-128k-instrct Standard_NC6s_v3', 'did you mean "phi-3-mini-128k-instruct"'],
    ['plan phi-4 Standard_NC6s_v4', 'unknown GPU instance type "Standard_NC6s_v4"; did you mean "Standard_NC6s_v3"'],
    ['plan acme/chat Standard_NC6s_v3', 'model "acme/chat" is not in the catalog'],
    ['plan phi-4', 'expected <model> <sku>'],
    ['plan phi-4 Standard_NC6s_v3 --runtime tgi', 'invalid setting --runtime: expected one of: vllm, transformers, got "tgi" (e.g. --runtime=vllm)'],
    ['plan phi-4 Standard_NC6s_v3 --max-nodes two', 'invalid setting --max-nodes: expected a positive integer, got "two" (e.g. --max-nodes=2)'],
    ['plan phi-4 Standard_NC6s_v3 --count 0', 'invalid setting --count: expected a positive integer, got "0" (e.g. --count=2)'],
    ['plan phi-4 Standard_NC6s_v3 --bogus', 'invalid setting: unknown flag --bogus; see --help'],
    // vLLM rejects --max-model-len=4000.5
    ['render phi-4 Standard_NC24ads_A100_v4 --max-model-len 4000.5', 'invalid setting --max-model-len: expected a positive integer, got "4000.5"'],
    ['plan phi-4 Standard_NC24ads_A100_v4 --max-nodes 1.5', 'invalid setting --max-nodes: expected a positive integer, got "1.5"'],
    ['plan acme/chat-7b Standard_NC24ads_A100_v4 --weights-gib 0', 'invalid setting --weights-gib: expected a positive number, got "0" (e.g. --weights-gib=13.5)'],
    ['plan phi-4 Standard_NC6s_v3 --output xml', 'invalid setting --output: expected one of: text, json, yaml, got "xml"'],
    ['frobnicate', 'unknown command "frobnicate"'],
  ])('`presets %s` exits 2 saying "%s"', (args, message) => {
    const r = main(args.split(' '));
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('prints a plan as JSON', () => {
    const r = main(['plan', 'phi-4', 'Standard_NC24ads_A100_v4', '--output', 'json']);
    expect(JSON.parse(r.out)).toMatchObject({ fits: true, model: 'phi-4', sku: 'Standard_NC24ads_A100_v4', nodeCount: 1 });
  });

  it('renders a container and its volumes as YAML', () => {
    const doc = parse(main(['render', 'phi-4', 'Standard_NC24ads_A100_v4', '--name', 'ws']).out) as { container: { name: string; ports: unknown[] }; volumes: unknown[] };
    expect(doc.container.name).toBe('ws');
    expect(doc.container.ports).toEqual([{ name: 'http', containerPort: 5000, protocol: 'TCP' }]);
    expect(doc.volumes).toHaveLength(2);
  });

  it('does not render a plan that does not fit, and says why', () => {
    const r = main(['render', 'phi-4', 'Standard_NC6s_v3']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('DOES NOT FIT');
  });

  it('prints usage without a command', () => {
    expect(main([]).out).toBe(USAGE);
  });
});
