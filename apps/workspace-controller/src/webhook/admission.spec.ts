import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import type { Workspace } from '@kaito-ts/api';
import { makeGpuNode } from '../testing/admission.js';
import { InvalidReviewError, reviewWorkspace, type ReviewDependencies } from './admission.js';

const deps = (o: Partial<ReviewDependencies> & { configMaps?: Record<string, Record<string, string>> } = {}): ReviewDependencies & { reads: string[] } => {
  const reads: string[] = [];
  return {
    reads,
    nodes: o.nodes ?? (async () => []),
    configMap: async (ns, name) => {
      reads.push(`${ns}/${name}`);
      return o.configMaps?.[name] ?? null;
    },
  };
};

function review(operation: string, object: unknown, oldObject?: unknown, kind = { group: 'kaito.sh', version: 'v1beta1', kind: 'Workspace' }) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'req-1', kind, operation, name: 'ws', namespace: 'default', object, ...(oldObject !== undefined ? { oldObject } : {}) },
  };
}

const misfit = (): Workspace => ({ ...makeInferenceWorkspace(), inference: { preset: { name: 'phi-3-medium-128k-instruct' } } });

describe('reviewWorkspace', () => {
  it('admits the seed Workspace, echoing the request uid', async () => {
    const { response } = await reviewWorkspace(review('CREATE', makeInferenceWorkspace()), deps());
    expect(response).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'req-1', allowed: true } });
  });

  it("refuses a misfit with a 422 Invalid status whose causes name the field, and the planner's words", async () => {
    const { response, errors } = await reviewWorkspace(review('CREATE', misfit()), deps());
    expect(response.response.allowed).toBe(false);
    expect(response.response.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: expect.stringMatching(/^Workspace default\/ws is invalid: resource.instanceType: ModelDoesNotFit: phi-3-medium-128k-instruct on Standard_NC6s_v3: .*choose Standard_NC24ads_A100_v4/),
      details: { name: 'ws', group: 'kaito.sh', kind: 'Workspace', causes: [{ field: 'resource.instanceType', reason: 'FieldValueInvalid', message: expect.stringContaining('needs about') }] },
    });
    expect(errors.map((e) => e.path)).toEqual(['resource.instanceType']);
  });

  it('admits with warnings, which kubectl prints', async () => {
    const ws = makeInferenceWorkspace({ resource: { labelSelector: { matchLabels: { apps: 'phi-3', 'kaito.sh/workspace': 'x' } } } });
    const { response } = await reviewWorkspace(review('CREATE', ws), deps());
    expect(response.response).toEqual({ uid: 'req-1', allowed: true, warnings: ['resource.labelSelector.matchLabels: kaito.sh/workspace is reserved for the controller and ignored'] });
  });

  it('refuses an object that is not a Workspace of either version, naming the field', async () => {
    const { response } = await reviewWorkspace(review('CREATE', { ...makeInferenceWorkspace(), resource: { labelSelector: { matchLabels: { a: 1 } } } }), deps());
    expect(response.response.allowed).toBe(false);
    expect(response.response.status?.message).toContain('resource.labelSelector.matchLabels.a: expected');
  });

  it('reads the ConfigMaps the Workspace names on create, and BYO nodes from the cache', async () => {
    const d = deps({ configMaps: { cfg: { 'inference_config.yaml': 'vllm:\n  max-model-len: 999999\n' } } });
    const ws = { ...makeInferenceWorkspace(), inference: { preset: { name: 'phi-3-mini-4k-instruct' }, config: 'cfg' } };
    const { response } = await reviewWorkspace(review('CREATE', ws), d);
    expect(d.reads).toEqual(['default/cfg']);
    expect(response.response.status?.message).toContain('inference.config: ConfigMap cfg inference_config.yaml vllm.max-model-len: phi-3-mini-4k-instruct takes at most 4096 tokens');
    const byo = { ...makeInferenceWorkspace(), resource: { labelSelector: { matchLabels: { apps: 'phi-3' } } } };
    const withNodes = deps({ nodes: async () => [makeGpuNode('n1', { apps: 'phi-3' })] });
    expect((await reviewWorkspace(review('CREATE', byo), withNodes)).response.response.allowed).toBe(true);
    expect((await reviewWorkspace(review('CREATE', byo), deps())).response.response.allowed).toBe(false);
  });

  it('refuses an update that changes an immutable field, and admits one that does not', async () => {
    const old = makeInferenceWorkspace();
    const moved = { ...old, resource: { ...old.resource, instanceType: 'Standard_NC24ads_A100_v4' } };
    const refused = await reviewWorkspace(review('UPDATE', moved, old), deps());
    expect(refused.response.response.status?.message).toContain('resource.instanceType: is immutable; create a new Workspace to use another instance type');
    const labelled = { ...old, metadata: { ...old.metadata, labels: { team: 'a' } } };
    expect((await reviewWorkspace(review('UPDATE', labelled, old), deps())).response.response.allowed).toBe(true);
  });

  it('does not re-run create rules on update: a stored misfit can still get its finalizer', async () => {
    const old = misfit();
    const withFinalizer = { ...old, metadata: { ...old.metadata, finalizers: ['workspace.finalizer.kaito.sh'] } };
    expect((await reviewWorkspace(review('UPDATE', withFinalizer, old), deps())).response.response.allowed).toBe(true);
  });

  it('admits what it does not judge: other operations and other kinds', async () => {
    expect((await reviewWorkspace(review('DELETE', misfit()), deps())).response.response.allowed).toBe(true);
    expect((await reviewWorkspace(review('CREATE', misfit(), undefined, { group: '', version: 'v1', kind: 'Pod' }), deps())).response.response.allowed).toBe(true);
  });

  it('throws InvalidReviewError for a body that is not an AdmissionReview v1', async () => {
    await expect(reviewWorkspace({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, deps())).rejects.toBeInstanceOf(InvalidReviewError);
  });
});
