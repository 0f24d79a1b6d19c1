import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { listProjects, repoRoot } from './index.js';

// Lints a made-up source file placed in a project (through the real ESLint CLI, reading stdin),
// so the rule is exercised without changing the tree.
const root = repoRoot();
async function boundaryErrors(fromDir: string, importName: string, file = 'boundary-fixture.ts'): Promise<string[]> {
  const code = `import * as other from '${importName}';\nexport const used = other;\n`;
  const run = spawnSync(
    process.execPath,
    [join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', join(root, fromDir, 'src', file), '--format', 'json'],
    { cwd: root, input: code, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

const projects = listProjects(root);
const apps = projects.filter((p) => p.tags.includes('type:app'));
const libs = projects.filter((p) => p.tags.includes('type:lib'));

describe('module boundaries', () => {
  it('every project carries one type tag and one scope tag', () => {
    const bad = projects.filter((p) => p.tags.filter((t) => t.startsWith('type:')).length !== 1 || p.tags.filter((t) => t.startsWith('scope:')).length !== 1);
    expect(bad.map((p) => p.dir)).toEqual([]);
  });

  it('there is at least one app and one library to check', () => {
    expect(apps.length).toBeGreaterThan(0);
    expect(libs.length).toBeGreaterThan(0);
  });

  it('every library importing any app fails lint', async () => {
    // Where the app already depends on the library, the rule reports the cycle first; either way lint fails.
    for (const lib of libs) {
      for (const app of apps) {
        expect((await boundaryErrors(lib.dir, app.name)).join('\n')).toMatch(/can only depend on libs tagged with "type:lib"|Circular dependency/);
      }
    }
  });

  it('a library importing an app it is unrelated to fails on the tag rule', async () => {
    expect(await boundaryErrors('packages/karpenter', '@kaito-ts/tuning-runner')).toEqual([expect.stringContaining('can only depend on libs tagged with "type:lib"')]);
  });

  it('a library importing a tool fails lint', async () => {
    expect(await boundaryErrors('packages/api', '@kaito-ts/repo-checks')).not.toEqual([]);
  });

  it('a library test may use the local-cluster harness, while its shipped code may not', async () => {
    expect(await boundaryErrors('packages/karpenter', '@kaito-ts/cluster/testing', 'boundary-fixture.int.spec.ts')).toEqual([]);
    expect(await boundaryErrors('packages/karpenter', '@kaito-ts/cluster/testing')).not.toEqual([]);
  });

  // tools/docs exports nothing (no `.` in its exports map), so no project can import it by name.
  it('the docs generator may read an app (its settings table), while nothing may reach into the generator', async () => {
    expect(await boundaryErrors('tools/docs', '@kaito-ts/workspace-controller')).toEqual([]);
    expect(await boundaryErrors('apps/workspace-controller', '../../../tools/docs/src/configuration.js')).not.toEqual([]);
  });

  it('a library or a tool may not read an app the way the docs generator does', async () => {
    expect(await boundaryErrors('tools/presets', '@kaito-ts/gpu-provisioner')).toEqual([expect.stringContaining('can only depend on libs tagged with')]);
  });

  it('an app importing a shared library passes lint', async () => {
    expect(await boundaryErrors(apps[0]!.dir, '@kaito-ts/api')).toEqual([]);
  });
});
