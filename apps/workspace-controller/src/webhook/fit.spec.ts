import type { Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { instanceTypeRules } from './fit.js';

const on = (instanceType: string, name = 'phi-3-mini-4k-instruct', extra: { count?: number; annotations?: Record<string, string> } = {}): Workspace => {
  const ws = makeInferenceWorkspace({ metadata: { name: 'ws', namespace: 'default', annotations: extra.annotations ?? {} } });
  return { ...ws, resource: { ...ws.resource, instanceType, ...(extra.count !== undefined ? { count: extra.count } : {}) }, inference: { preset: { name } } };
};

describe('instanceTypeRules', () => {
  it.each([
    ['phi-3-mini-4k-instruct on the seed SKU', on('Standard_NC6s_v3')],
    ['phi-3-medium-128k-instruct on an A100', on('Standard_NC24ads_A100_v4', 'phi-3-medium-128k-instruct')],
    ['phi-3-medium-128k-instruct on three V100 nodes when resource.count allows them', on('Standard_NC6s_v3', 'phi-3-medium-128k-instruct', { count: 3 })],
  ])('admits %s', (_, ws) => {
    expect(instanceTypeRules(makeAdmissionInput({ workspace: ws }))).toEqual([]);
  });

  it("refuses a model that does not fit with the planner's explanation, the SKUs that fit and the count that would", () => {
    const findings = instanceTypeRules(makeAdmissionInput({ workspace: on('Standard_NC6s_v3', 'phi-3-medium-128k-instruct') }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.path).toBe('resource.instanceType');
    expect(findings[0]?.message).toMatch(/^ModelDoesNotFit: phi-3-medium-128k-instruct on Standard_NC6s_v3: phi-3-medium-128k-instruct needs about 29\.\d GiB of GPU memory/);
    expect(findings[0]?.message).toContain('choose Standard_NC24ads_A100_v4 or Standard_NC64as_T4_v3 or allow 3 nodes (to allow 3 nodes, set resource.count: 3)');
  });

  it('admits a misfit under kaito.sh/bypass-resource-checks, as Kaito does', () => {
    const ws = on('Standard_NC6s_v3', 'phi-3-medium-128k-instruct', { annotations: { 'kaito.sh/bypass-resource-checks': '' } });
    expect(instanceTypeRules(makeAdmissionInput({ workspace: ws }))).toEqual([]);
  });

  it('refuses an instance type that is not in the catalog, with close matches', () => {
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on('p4d.24xlarg') }))).toEqual([
      { path: 'resource.instanceType', message: expect.stringMatching(/^unknown GPU instance type "p4d.24xlarg"; did you mean .*p4d.24xlarge.*; choose a GPU size from the catalog/) },
    ]);
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on('Standard_XC6s_v3') }))[0]?.warning).toBeUndefined();
  });

  it.each(['Standard_ND999_v9', 'Standard_D2s_v3'])('admits the unknown Azure size %s with a warning, as Kaito admits any Standard_N*/Standard_D*', (sku) => {
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on(sku) }))).toEqual([
      { path: 'resource.instanceType', message: expect.stringMatching(new RegExp(`^unknown GPU instance type "${sku}".*: admitted as an Azure size, but whether the model fits it was not checked$`)), warning: true },
    ]);
  });

  it('names the close match in the warning for a likely typo', () => {
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on('Standard_NC6s_v9') }))[0]?.message).toContain('did you mean "Standard_NC6s_v3"');
  });

  it('refuses a partition on provisioned nodes', () => {
    const ws = on('Standard_NC24ads_A100_v4');
    const partitioned = { ...ws, resource: { ...ws.resource, partition: { mode: 'mig' as const, profile: '1g.10gb' } } };
    expect(instanceTypeRules(makeAdmissionInput({ workspace: partitioned })).map((f) => f.path)).toEqual(['resource.partition']);
  });

  it('plans nothing for an unknown preset or runtime (their own rules report them), BYO, or an update', () => {
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on('Standard_NC6s_v3', 'nope') }))).toEqual([]);
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on('Standard_NC6s_v3', 'phi-3-medium-128k-instruct', { annotations: { 'kaito.sh/runtime': 'x' } }) }))).toEqual([]);
    expect(instanceTypeRules(makeAdmissionInput({ workspace: on('') }))).toEqual([]);
    const misfit = on('Standard_NC6s_v3', 'phi-3-medium-128k-instruct');
    expect(instanceTypeRules(makeAdmissionInput({ workspace: misfit, old: misfit }))).toEqual([]);
  });
});
