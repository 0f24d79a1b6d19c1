import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './index.js';

// The repository stands on its own: its conventions are in docs/development.md, and neither code
// nor docs point at files outside it.
const root = repoRoot();

/** Tracked files (git knows what is ours: no node_modules, dist or caches). */
function trackedFiles(): string[] {
  const run = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ls-files failed: ${run.stderr}`);
  return run.stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
}

describe('the repository stands on its own', () => {
  const text = /\.(ts|mts|cts|js|mjs|cjs|md|py|sh|json|ya?ml)$/;
  const files = trackedFiles().filter((f) => text.test(f) && f !== 'tools/repo-checks/src/self-contained.spec.ts');

  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('cites no style guide outside the repository (the conventions are docs/development.md)', () => {
    // Spelt in two parts so this file does not cite it either.
    const outsideGuide = ['STYLE', 'md'].join('.');
    const citing = files.filter((f) => readFileSync(join(root, f), 'utf8').includes(outsideGuide));
    expect(citing).toEqual([]);
  });

  it('points at no shared folder outside the repository', () => {
    const citing = files.filter((f) => /\.\.\/shared\/|\/work\/shared/.test(readFileSync(join(root, f), 'utf8')));
    expect(citing).toEqual([]);
  });
});

describe('docs/development.md', () => {
  const doc = readFileSync(join(root, 'docs/development.md'), 'utf8');

  it('lists in its layout table only paths that exist, or says they are coming', () => {
    const section = doc.slice(doc.indexOf('## Layout'), doc.indexOf('\n## ', doc.indexOf('## Layout') + 1));
    const rows = [...section.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)].map((m) => ({ path: (m[1] ?? '').replace(/<name>.*$/, ''), what: m[2] ?? '' }));
    expect(rows.length).toBeGreaterThan(4);
    const untrue = rows.filter((r) => !existsSync(join(root, r.path)) && !/\bcoming\b/.test(r.what)).map((r) => r.path);
    expect(untrue).toEqual([]);
  });

  it('names only files that exist where it says which files to copy', () => {
    const section = doc.slice(doc.indexOf('### Files to copy'), doc.indexOf('\n## ', doc.indexOf('### Files to copy')));
    const paths = [...section.matchAll(/`((?:packages|apps|tools)\/[^`\s]+)`/g)].map((m) => m[1] ?? '');
    expect(paths.length).toBeGreaterThan(4);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it('says how to add a controller, with the kwok provisioner as the worked example', () => {
    expect(doc).toMatch(/## Adding a controller to an app[\s\S]*tools\/kwok-provisioner/);
  });
});
