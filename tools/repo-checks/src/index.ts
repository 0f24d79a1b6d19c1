import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface WorkspaceProject {
  dir: string;
  name: string;
  tags: string[];
}

/** The repository root: the nearest folder above `start` holding nx.json. */
export function repoRoot(start = process.cwd()): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${start}`);
  }
}

/** Every npm-workspace project (under packages/, apps/ and tools/, and the top-level e2e/ and charts/) with its Nx tags. */
export function listProjects(root = repoRoot()): WorkspaceProject[] {
  const out: WorkspaceProject[] = [];
  for (const group of ['packages', 'apps', 'tools']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) {
      const manifest = join(base, entry, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; nx?: { tags?: string[] } };
      out.push({ dir: `${group}/${entry}`, name: pkg.name, tags: pkg.nx?.tags ?? [] });
    }
  }
  // Projects that are a top-level folder of their own.
  for (const dir of ['e2e', 'charts']) {
    const manifest = join(root, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; nx?: { tags?: string[] } };
    out.push({ dir, name: pkg.name, tags: pkg.nx?.tags ?? [] });
  }
  return out;
}
