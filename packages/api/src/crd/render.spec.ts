import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { workspaceFixturesDir } from '../testing/fixtures.js';
import { renderWorkspaceCrdYaml, WORKSPACE_CRD_FILE } from './render.js';
import { workspaceCrd } from './workspace-crd.js';

const crdsDir = join(workspaceFixturesDir(), '..', '..', '..', '..', 'crds');

describe('the generated Workspace CRD', () => {
  it('matches the committed crds/ file (run `npm run gen:crds` after changing the schema)', () => {
    expect(readFileSync(join(crdsDir, WORKSPACE_CRD_FILE), 'utf8')).toBe(renderWorkspaceCrdYaml());
  });

  it('serves v1alpha1 and v1beta1 and stores v1beta1, with a status subresource and short names', () => {
    const crd = workspaceCrd();
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1alpha1', true, false],
      ['v1beta1', true, true],
    ]);
    expect(crd.spec.versions.every((v) => v.subresources.status !== undefined)).toBe(true);
    expect(crd.spec.names.shortNames).toEqual(['wk', 'wks']);
  });

  it('prints the seed document\'s columns by default and the tuning ones with -o wide', () => {
    const columns = workspaceCrd().spec.versions[0]!.additionalPrinterColumns;
    expect(columns.filter((c) => !('priority' in c)).map((c) => c.name.toUpperCase())).toEqual(['INSTANCE', 'RESOURCEREADY', 'INFERENCEREADY', 'WORKSPACEREADY', 'AGE']);
    expect(columns.filter((c) => 'priority' in c).map((c) => c.name.toUpperCase())).toEqual(['JOBSTARTED', 'WORKSPACESUCCEEDED', 'STATE']);
  });

  it('describes every field, so kubectl explain helps', () => {
    const missing: string[] = [];
    const walk = (s: { description?: string; properties?: Record<string, unknown>; items?: unknown }, path: string) => {
      if (path && path !== 'metadata' && !s.description) missing.push(path);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v as typeof s, path ? `${path}.${k}` : k);
      if (s.items) walk(s.items as typeof s, `${path}[]`);
    };
    for (const v of workspaceCrd().spec.versions) walk(v.schema.openAPIV3Schema, '');
    expect(missing.filter((p) => !p.endsWith('[]'))).toEqual([]);
  });

  it('is valid YAML that parses back to the generated object', () => {
    expect(parse(renderWorkspaceCrdYaml())).toEqual(JSON.parse(JSON.stringify(workspaceCrd())));
  });
});
