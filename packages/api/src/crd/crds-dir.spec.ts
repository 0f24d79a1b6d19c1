import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Schema } from './schema.js';
import { validateAgainstSchema } from '../testing/schema-validator.js';
import { workspaceFixturesDir } from '../testing/fixtures.js';

const crdsDir = join(workspaceFixturesDir(), '..', '..', '..', '..', 'crds');
type Crd = { kind: string; metadata: { name: string }; spec: { group: string; names: { plural: string }; versions: Array<{ name: string; storage: boolean; schema: { openAPIV3Schema: Schema } }> } };
const crds = readdirSync(crdsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => ({ file, docs: parseAllDocuments(readFileSync(join(crdsDir, file), 'utf8')).map((d) => d.toJS() as Crd) }));
const byName = (name: string): Crd => {
  const crd = crds.flatMap((c) => c.docs).find((d) => d.metadata.name === name);
  if (!crd) throw new Error(`no CRD ${name} in crds/`);
  return crd;
};
const schemaOf = (name: string, version: string): Schema => byName(name).spec.versions.find((v) => v.name === version)!.schema.openAPIV3Schema;

describe('crds/', () => {
  it('holds the Workspace, Machine and NodeClaim CRDs', () => {
    expect(crds.flatMap((c) => c.docs.map((d) => d.metadata.name)).sort()).toEqual(['machines.karpenter.sh', 'nodeclaims.karpenter.sh', 'workspaces.kaito.sh']);
  });

  it.each(crds.map((c) => [c.file, c] as const))('%s is one CRD named <plural>.<group> with exactly one storage version', (_f, { docs }) => {
    expect(docs).toHaveLength(1);
    const crd = docs[0]!;
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect(crd.spec.versions.filter((v) => v.storage)).toHaveLength(1);
  });

  const nodeClaim = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: 'ws0a1b2c3d4' },
    spec: {
      nodeClassRef: { group: 'kaito.sh', kind: 'KaitoNodeClass', name: 'default' },
      requirements: [
        { key: 'karpenter.sh/nodepool', operator: 'In', values: ['kaito'] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['Standard_NC6s_v3'] },
      ],
      taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
      resources: { requests: { storage: '80Gi' } },
    },
  };

  it('accepts a Kaito-style NodeClaim', () => {
    expect(validateAgainstSchema(schemaOf('nodeclaims.karpenter.sh', 'v1'), nodeClaim)).toEqual({ valid: true, errors: [] });
  });

  it('rejects a NodeClaim whose In requirement has no values', () => {
    const bad = { ...nodeClaim, spec: { ...nodeClaim.spec, requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In' }] } };
    expect(validateAgainstSchema(schemaOf('nodeclaims.karpenter.sh', 'v1'), bad).errors.join()).toContain('requirements with operator In must have a value defined');
  });

  it('rejects a change to a NodeClaim spec', () => {
    const changed = { ...nodeClaim, spec: { ...nodeClaim.spec, taints: [] } };
    expect(validateAgainstSchema(schemaOf('nodeclaims.karpenter.sh', 'v1'), changed, nodeClaim).errors.join()).toContain('spec is immutable');
  });

  it('rejects a NodeClaim without a nodeClassRef', () => {
    const { nodeClassRef: _drop, ...spec } = nodeClaim.spec;
    expect(validateAgainstSchema(schemaOf('nodeclaims.karpenter.sh', 'v1'), { ...nodeClaim, spec }).layer).toBe('schema');
  });

  it('accepts a v0.1 Kaito-style Machine and rejects an unknown taint effect', () => {
    const machine = {
      apiVersion: 'karpenter.sh/v1alpha5',
      kind: 'Machine',
      metadata: { name: 'ws0a1b2c3d4' },
      spec: {
        requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['Standard_NC6s_v3'] }],
        taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
        machineTemplateRef: { name: 'default' },
      },
    };
    expect(validateAgainstSchema(schemaOf('machines.karpenter.sh', 'v1alpha5'), machine).valid).toBe(true);
    const bad = { ...machine, spec: { ...machine.spec, taints: [{ key: 'sku', effect: 'Sometimes' }] } };
    expect(validateAgainstSchema(schemaOf('machines.karpenter.sh', 'v1alpha5'), bad).valid).toBe(false);
  });
});

describe('crds/ for people reading them with kubectl', () => {
  /**
   * Every property path whose schema has no description. Scalar list items need none (kubectl shows
   * the list), and the API server forbids anything but `type` on `metadata` (kubectl explains ObjectMeta).
   */
  function undescribed(schema: Schema, path = ''): string[] {
    if (path === 'metadata') return [];
    const own = path !== '' && !schema.description ? [path] : [];
    const props = Object.entries(schema.properties ?? {}).flatMap(([k, v]) => undescribed(v, path ? `${path}.${k}` : k));
    const items = schema.items?.type === 'object' ? undescribed(schema.items, `${path}[]`) : [];
    const values = schema.additionalProperties?.type === 'object' ? undescribed(schema.additionalProperties, `${path}{}`) : [];
    return [...own, ...props, ...items, ...values];
  }

  it.each([
    ['nodeclaims.karpenter.sh', 'v1'],
    ['machines.karpenter.sh', 'v1alpha5'],
  ])('%s describes every property, so kubectl explain says something for each', (name, version) => {
    expect(undescribed(schemaOf(name, version))).toEqual([]);
  });

  it.each([
    ['nodeclaims.karpenter.sh', ['nc']],
    ['machines.karpenter.sh', ['kmachine']],
  ])('%s has short names', (name, shortNames) => {
    expect((byName(name).spec.names as { shortNames?: string[] }).shortNames).toEqual(shortNames);
  });

  it('the Workspace CRD states string formats as CEL rules with human messages, never as a bare regular expression', () => {
    const patterns: string[] = [];
    const walk = (s: Schema, path: string): void => {
      if (s.pattern !== undefined) patterns.push(path);
      Object.entries(s.properties ?? {}).forEach(([k, v]) => walk(v, `${path}.${k}`));
      if (s.items) walk(s.items, `${path}[]`);
    };
    for (const v of byName('workspaces.kaito.sh').spec.versions) walk(v.schema.openAPIV3Schema, v.name);
    expect(patterns).toEqual([]);
  });
});
