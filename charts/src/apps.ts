// The chart's processes as their own entry points (`tsx <project>/src/main.ts`), so a test can
// read `--help` and run them with exactly the environment a chart's Deployment sets.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@kaito-ts/cluster';
import type { ChartName } from './helm.js';

/** The project each chart deploys. */
export const CHART_PROJECT: Readonly<Record<ChartName, string>> = {
  'workspace-controller': 'apps/workspace-controller',
  'gpu-provisioner': 'apps/gpu-provisioner',
  'kwok-provisioner': 'tools/kwok-provisioner',
};

export interface Exited {
  readonly code: number | null;
  readonly output: string;
}

/** `node tsx <project>/src/main.ts args…` with `env` (and nothing of this process's environment but PATH and HOME). */
export function mainProcess(chart: ChartName, args: readonly string[], env: Record<string, string>) {
  return projectProcess(CHART_PROJECT[chart], args, env);
}

/** As `mainProcess`, for any project with a `src/main.ts` (e.g. tools/arm-simulator). */
export function projectProcess(project: string, args: readonly string[], env: Record<string, string>) {
  const root = repoRoot();
  return spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--conditions=@kaito-ts/source', join(root, project, 'src', 'main.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the process to its end (killed after `timeoutMs`). */
export function runMain(chart: ChartName, args: readonly string[], env: Record<string, string>, timeoutMs = 90_000): Promise<Exited> {
  const child = mainProcess(chart, args, env);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

/** The environment variables a `--help` text names (its "environment" column). */
export function helpVariables(help: string): Set<string> {
  return new Set(help.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\bKUBECONFIG\b/g) ?? []);
}
