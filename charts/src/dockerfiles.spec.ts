/**
 * The images cannot be built here (no container engine), so their Dockerfiles are checked against
 * the repository: what they COPY from the build context exists; what they COPY from the build
 * stage is produced by it (a compiled project of the `tsc --build` it runs, or a manifest); every
 * runtime workspace dependency ships; the entrypoint is a compiled main.ts; bases are pinned; the
 * final stage is non-root; and each chart's default image is the name the Dockerfile documents.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@kaito-ts/cluster';
import { CHART_PROJECT } from './apps.js';
import { type ChartName, chartDir } from './helm.js';

const root = repoRoot();
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The projects `tsc --build <tsconfig>` compiles: it and its references, transitively. */
function buildClosure(tsconfig: string, seen = new Set<string>()): Set<string> {
  const dir = dirname(tsconfig);
  if (seen.has(dir)) return seen;
  seen.add(dir);
  const config = JSON.parse(read(tsconfig)) as { references?: { path: string }[] };
  for (const ref of config.references ?? []) buildClosure(join(normalize(join(dir, ref.path)), 'tsconfig.json'), seen);
  return seen;
}

/** `@kaito-ts/*` runtime dependencies of a project, transitively, as project folders. */
function runtimeWorkspaces(project: string, byName: Map<string, string>, seen = new Set<string>()): Set<string> {
  const manifest = JSON.parse(read(join(project, 'package.json'))) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    const dir = byName.get(dep);
    if (dir === undefined || seen.has(dir)) continue;
    seen.add(dir);
    runtimeWorkspaces(dir, byName, seen);
  }
  return seen;
}

function workspaceFolders(): Map<string, string> {
  const out = new Map<string, string>();
  for (const top of ['packages', 'apps', 'tools']) {
    for (const name of require('node:fs').readdirSync(join(root, top)) as string[]) {
      const manifest = join(root, top, name, 'package.json');
      if (existsSync(manifest)) out.set((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, `${top}/${name}`);
    }
  }
  return out;
}

const IMAGES: { project: string; chart?: ChartName; valuesKey: string[]; nonRoot: boolean }[] = [
  { project: CHART_PROJECT['workspace-controller'], chart: 'workspace-controller', valuesKey: ['image', 'repository'], nonRoot: true },
  { project: CHART_PROJECT['gpu-provisioner'], chart: 'gpu-provisioner', valuesKey: ['image', 'repository'], nonRoot: true },
  { project: CHART_PROJECT['kwok-provisioner'], chart: 'kwok-provisioner', valuesKey: ['image', 'repository'], nonRoot: true },
  // The tuning image's user is the trainer's concern (docs/tuning.md); its other checks hold here.
  { project: 'apps/tuning-runner', chart: 'workspace-controller', valuesKey: ['tuning', 'image'], nonRoot: false },
];

describe.each(IMAGES)('$project/Dockerfile', ({ project, chart, valuesKey }) => {
  const text = read(join(project, 'Dockerfile'));
  const ins = instructions(text);
  const args = new Map(ins.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]));
  const stages = ins.filter((i) => i.op === 'FROM');
  const copies = ins.filter((i) => i.op === 'COPY').map((i) => {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    return { from, sources: paths.slice(0, -1), target: paths[paths.length - 1] ?? '' };
  });
  const run = ins.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
  const built = buildClosure(/tsc --build (\S+)/.exec(run)?.[1] ?? '(no tsc --build)');

  it('is multi-stage and pins every base image to an exact tag or a digest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) {
      const image = s.args.split(/\s+/)[0] ?? '';
      const resolved = image.replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? `(ARG ${name} has no default)`);
      const pinned = /@sha256:[a-f0-9]{64}$/.test(resolved) || /:\d+\.\d+\.\d+[\w.-]*$/.test(resolved) || stages.some((x) => x.args.endsWith(` AS ${resolved}`));
      expect({ image: resolved, pinned }).toEqual({ image: resolved, pinned: true });
    }
  });

  it('copies from the build context only files that exist', () => {
    for (const c of copies.filter((x) => x.from === undefined)) {
      for (const source of c.sources) if (source !== '.') expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
    }
  });

  it('copies from the build stage only what the build produces or the repository holds', () => {
    for (const c of copies.filter((x) => x.from === 'build')) {
      for (const source of c.sources) {
        const path = relative('/repo', source);
        const produced = path === 'node_modules' || (path.endsWith('/dist') && built.has(dirname(path))) || existsSync(join(root, path));
        expect({ source, produced }).toEqual({ source, produced: true });
      }
    }
  });

  it('ships the compiled code and manifest of every runtime workspace dependency', () => {
    const copied = new Set(copies.filter((x) => x.from === 'build').flatMap((x) => x.sources.map((s) => relative('/repo', s))));
    for (const dir of [project, ...runtimeWorkspaces(project, workspaceFolders())]) {
      expect({ dir, dist: copied.has(`${dir}/dist`), manifest: copied.has(`${dir}/package.json`) }).toEqual({ dir, dist: true, manifest: true });
    }
  });

  it('starts the compiled main.ts of its project', () => {
    const entry = JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    // node, its own flags only (V8 heap settings such as --max-semi-space-size), then the program.
    expect(entry[0]).toBe('node');
    expect(entry.at(-1)).toBe(`/app/${project}/dist/main.js`);
    expect(entry.slice(1, -1).filter((a) => !/^--[a-z-]+=\S+$/.test(a))).toEqual([]);
    expect(existsSync(join(root, project, 'src', 'main.ts'))).toBe(true);
    const tsconfig = JSON.parse(read(join(project, 'tsconfig.json'))) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(built.has(project)).toBe(true);
  });

  it('documents the image name the chart uses by default', () => {
    const tag = /docker build -f \S+ -t <registry>\/(\S+):<version> \./.exec(text)?.[1];
    expect(tag).toBeDefined();
    const values = parse(readFileSync(join(chartDir(chart ?? 'workspace-controller'), 'values.yaml'), 'utf8')) as Record<string, Record<string, string>>;
    const image = values[valuesKey[0] ?? '']?.[valuesKey[1] ?? ''] ?? '';
    expect(image.replace(/:[^/]+$/, '')).toBe(`ghcr.io/${tag ?? ''}`);
  });
});

describe('apps/tuning-runner/Dockerfile', () => {
  // The workspace controller renders the tuning Job's container with the presets' tuning runtime
  // command, and a container's command replaces the image's ENTRYPOINT: the image must have it on PATH.
  it('puts the command the tuning Job runs on PATH, pointing at the compiled main.js, which has a node shebang', () => {
    const runtimes = JSON.parse(read('packages/presets/src/catalog/runtimes.json')) as Record<string, { command?: string[] } | undefined> | { command?: string[] }[];
    const commands = (Array.isArray(runtimes) ? runtimes : Object.values(runtimes)).map((r) => r?.command?.[0]);
    expect(commands).toContain('tuning-runner');
    const run = instructions(read('apps/tuning-runner/Dockerfile')).filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(run).toContain('ln -s /app/apps/tuning-runner/dist/main.js /usr/local/bin/tuning-runner');
    expect(run).toContain('chmod 0755 /app/apps/tuning-runner/dist/main.js');
    expect(read('apps/tuning-runner/src/main.ts').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

// The tuning image is left out: its trainer's user and writable paths are the tuning image's
// concern (apps/tuning-runner), not settled here.
describe.each(IMAGES.filter((i) => i.nonRoot))('$project/Dockerfile', ({ project }) => {
  it('runs the final stage as a numeric non-root user', () => {
    const ins = instructions(read(join(project, 'Dockerfile')));
    const finalStart = ins.map((i) => i.op).lastIndexOf('FROM');
    const users = ins.slice(finalStart).filter((i) => i.op === 'USER').map((u) => /^(\d+)(:\d+)?$/.exec(u.args)?.[1]);
    expect(users.length).toBe(1);
    expect(Number(users[0])).toBeGreaterThan(0);
  });
});
