import type { Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { inferenceConfigRules } from './inference-config.js';

function withConfig(annotations: Record<string, string> = {}): Workspace {
  const ws = makeInferenceWorkspace({ metadata: { name: 'ws', namespace: 'team-a', annotations } });
  return { ...ws, inference: { preset: { name: 'phi-3-mini-4k-instruct' }, config: 'phi-3-config' } };
}
const yamlOf = (text: string) => ({ 'phi-3-config': { 'inference_config.yaml': text } });

describe('inferenceConfigRules', () => {
  it.each([
    ['max-model-len within the model limit', 'vllm:\n  max-model-len: 4096\n'],
    ['max-model-len as a quoted number', 'vllm:\n  max-model-len: "2048"\n'],
    ['no max-model-len', 'vllm:\n  gpu-memory-utilization: 0.9\n'],
    ['no vllm section', 'max_probe_steps: 6\n'],
  ])('admits %s', (_, text) => {
    expect(inferenceConfigRules(makeAdmissionInput({ workspace: withConfig(), configMaps: yamlOf(text) }))).toEqual([]);
  });

  it.each([
    ['a missing ConfigMap', null, 'ConfigMap phi-3-config not found in namespace team-a; create it first with key inference_config.yaml'],
    ['a ConfigMap without the key', { other: 'x' }, 'ConfigMap phi-3-config has no key inference_config.yaml'],
    ['invalid YAML', { 'inference_config.yaml': 'vllm: [unclosed' }, 'ConfigMap phi-3-config key inference_config.yaml is not valid YAML'],
    ['max-model-len above the model limit', { 'inference_config.yaml': 'vllm:\n  max-model-len: 8192\n' }, 'vllm.max-model-len: phi-3-mini-4k-instruct takes at most 4096 tokens, got 8192'],
    ['max-model-len that is not a whole number', { 'inference_config.yaml': 'vllm:\n  max-model-len: 4k\n' }, 'vllm.max-model-len: expected a positive whole number of tokens, got "4k"'],
    ['max-model-len 0', { 'inference_config.yaml': 'vllm:\n  max-model-len: 0\n' }, 'expected a positive whole number of tokens, got 0'],
  ])('refuses %s', (_, data, message) => {
    const findings = inferenceConfigRules(makeAdmissionInput({ workspace: withConfig(), configMaps: { 'phi-3-config': data } }));
    expect(findings).toEqual([{ path: 'inference.config', message: expect.stringContaining(message) }]);
  });

  it('skips the transformers runtime, updates, and a ConfigMap that was not looked up, as Kaito does', () => {
    const bad = yamlOf('vllm:\n  max-model-len: 999999\n');
    expect(inferenceConfigRules(makeAdmissionInput({ workspace: withConfig({ 'kaito.sh/runtime': 'transformers' }), configMaps: bad }))).toEqual([]);
    expect(inferenceConfigRules(makeAdmissionInput({ workspace: withConfig(), old: withConfig(), configMaps: bad }))).toEqual([]);
    expect(inferenceConfigRules(makeAdmissionInput({ workspace: withConfig() }))).toEqual([]);
  });
});
