import { decode, formatIssue, type Issue } from '@kaito-ts/core';
import { workspaceCrd } from './crd/workspace-crd.js';
import type { Schema } from './crd/schema.js';
import { AnyWorkspace, type Workspace } from './workspace/codec.js';
import { updateIssues } from './workspace/update-rules.js';
import { loadWorkspaceFixtures, validateAgainstSchema, type WorkspaceFixture } from './testing/index.js';

const fixtures = loadWorkspaceFixtures();
const crd = workspaceCrd();
const schemaFor = (apiVersion: unknown): Schema => {
  const version = crd.spec.versions.find((v) => `kaito.sh/${v.name}` === apiVersion);
  if (!version) throw new Error(`no CRD version for ${String(apiVersion)}`);
  return version.schema.openAPIV3Schema;
};

/** The codec's verdict: decode (both objects for an update) and check update rules. */
function codecVerdict(f: WorkspaceFixture): { valid: boolean; messages: string[] } {
  const next = decode(AnyWorkspace, f.object);
  const issues: Issue[] = next.ok ? [] : next.issues;
  if (next.ok && f.old) {
    const old = decode(AnyWorkspace, f.old);
    if (!old.ok) throw new Error(`${f.file}: old object is invalid: ${old.issues.map(formatIssue).join('; ')}`);
    issues.push(...updateIssues(old.value as Workspace, next.value as Workspace));
  }
  return { valid: issues.length === 0, messages: issues.map(formatIssue) };
}

describe('the Workspace fixture corpus', () => {
  it('has at least 30 fixtures, with valid and invalid ones for both versions', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
    for (const version of ['kaito.sh/v1alpha1', 'kaito.sh/v1beta1']) {
      expect(fixtures.some((f) => f.valid && f.object['apiVersion'] === version)).toBe(true);
      expect(fixtures.some((f) => !f.valid && f.object['apiVersion'] === version)).toBe(true);
    }
  });

  it('rejects at least one fixture with every CEL rule of every CRD version', () => {
    const messages = new Set<string>();
    const collect = (s: Schema) => {
      for (const r of s['x-kubernetes-validations'] ?? []) messages.add(r.message);
      Object.values(s.properties ?? {}).forEach(collect);
      if (s.items) collect(s.items);
    };
    crd.spec.versions.forEach((v) => collect(v.schema.openAPIV3Schema));
    const uncovered = [...messages].filter((m) => !fixtures.some((f) => f.serverError && m.includes(f.serverError)));
    expect(uncovered).toEqual([]);
  });
});

describe.each(fixtures.map((f) => [f.file, f] as const))('fixture %s', (_file, fixture) => {
  it(`gets the expected verdict from the io-ts codec (${fixture.description})`, () => {
    const verdict = codecVerdict(fixture);
    expect(verdict.valid).toBe(fixture.valid);
    if (!fixture.valid) expect(verdict.messages.join('\n')).toContain(fixture.codecError);
  });

  it('gets the same verdict from the CRD schema and its CEL rules', () => {
    const verdict = validateAgainstSchema(schemaFor(fixture.object['apiVersion']), fixture.object, fixture.old);
    expect(verdict.valid).toBe(fixture.valid);
    if (!fixture.valid) {
      expect(verdict.layer).toBe(fixture.layer);
      expect(verdict.errors.join('\n')).toContain(fixture.serverError);
    }
  });
});
