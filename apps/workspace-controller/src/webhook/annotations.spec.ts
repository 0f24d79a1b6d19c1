import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { annotationValues } from './annotations.js';

const withAnnotations = (annotations: Record<string, string>) =>
  makeInferenceWorkspace({ metadata: { name: 'ws', namespace: 'default', annotations } });

describe('annotationValues', () => {
  it.each([
    ['kaito.sh/node-image-family', 'ubuntu'],
    ['kaito.sh/node-image-family', 'AzureLinux'],
    ['kaito.sh/performance-mode', 'throughput'],
    ['kaito.sh/use-local-weights', 'false'],
    ['kaito.sh/runtime', 'transformers'],
    ['kaito.sh/enablelb', 'anything'],
  ])('admits %s: %s', (key, value) => {
    expect(annotationValues(makeAdmissionInput({ workspace: withAnnotations({ [key]: value }) }))).toEqual([]);
  });

  it.each([
    ['kaito.sh/node-image-family', 'windows', 'expected one of "ubuntu", "azurelinux" (the OS image of provisioned nodes), got "windows" (e.g. kaito.sh/node-image-family: ubuntu)'],
    ['kaito.sh/performance-mode', 'Fast', 'expected one of "balanced", "interactivity", "throughput"'],
    ['kaito.sh/use-local-weights', 'yes', 'expected one of "true", "false"'],
    ['kaito.sh/runtime', 'transformer', 'expected one of "vllm", "transformers" (the inference runtime), got "transformer"'],
  ])('refuses %s: %s, naming the annotation and the allowed values', (key, value, message) => {
    const findings = annotationValues(makeAdmissionInput({ workspace: withAnnotations({ [key]: value }) }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.path).toBe(`metadata.annotations["${key}"]`);
    expect(findings[0]?.message).toContain(message);
  });

  it('reports every bad annotation at once', () => {
    const ws = withAnnotations({ 'kaito.sh/performance-mode': 'x', 'kaito.sh/use-local-weights': 'y' });
    expect(annotationValues(makeAdmissionInput({ workspace: ws })).map((f) => f.path)).toEqual([
      'metadata.annotations["kaito.sh/performance-mode"]',
      'metadata.annotations["kaito.sh/use-local-weights"]',
    ]);
  });

  it('on update checks only values that changed, so a stored Workspace can still be updated', () => {
    const old = withAnnotations({ 'kaito.sh/performance-mode': 'legacy' });
    const unchanged = withAnnotations({ 'kaito.sh/performance-mode': 'legacy', other: 'x' });
    expect(annotationValues(makeAdmissionInput({ workspace: unchanged, old }))).toEqual([]);
    const changed = withAnnotations({ 'kaito.sh/performance-mode': 'newer' });
    expect(annotationValues(makeAdmissionInput({ workspace: changed, old }))).toHaveLength(1);
  });
});
