/**
 * `npm run bench [-- queue|cache] [--keys N] [--objects N] [--concurrency N] [--json]`
 * `npm run bench -- convert [--size-mb N] [--rows-per-group N]` (see convert-bench.ts)
 * `npm run bench -- gpu-provisioner [--claims 50] [--create-delay 5s]` (see gpu-provisioner-bench.ts)
 * `npm run bench -- workspaces [--run MODE/COUNT/SKU]...` (see workspaces/main.ts)
 *
 * Prints work-queue throughput (target ≥ 20,000 keys/s through a no-op reconcile) and the informer
 * cache's memory for 10,000 objects (target ≤ 2× their JSON size). Numbers, not pass/fail: the
 * machine may be shared; compare the ratios.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import type { Report } from './report.js';

// The Workspace benchmark runs processes of the repository from source; its own process resolves
// the workspace packages to their sources (the condition below), which this one does not.
if (process.argv[2] === 'workspaces') {
  const child = spawnSync(process.execPath, ['--conditions=@kaito-ts/source', '--import', 'tsx', join(import.meta.dirname, 'workspaces', 'main.ts'), ...process.argv.slice(3)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

// The conversion benchmark measures the tuning runner from source in child processes; it needs
// no library build.
if (process.argv[2] === 'convert') {
  const { convertBench } = await import('./convert-bench.js');
  await convertBench(process.argv.slice(3));
  process.exit(0);
}

// The benchmarks measure built code (what production runs). `tsc --build` is incremental: a no-op
// when dist is up to date, a rebuild after a change, so numbers never come from stale code.
function tscBuild(what: string, projects: readonly string[]): void {
  const build = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '--build', ...projects], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error(`building ${what} failed`);
    process.exit(1);
  }
}
const projectDir = (pkg: string): string => dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));

// gpu-provisioner and the ARM simulator run as processes from their dist; the bench imports built libraries.
if (process.argv[2] === 'gpu-provisioner') {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  tscBuild('gpu-provisioner, arm-simulator and the bench', ['apps/gpu-provisioner', 'tools/arm-simulator', 'tools/bench'].map((p) => join(root, p)));
  const { gpuProvisionerBench } = await import('./gpu-provisioner-bench.js');
  await gpuProvisionerBench(process.argv.slice(3));
  process.exit(0);
}

tscBuild('@kaito-ts/controller-runtime', [join(projectDir('@kaito-ts/controller-runtime'), 'tsconfig.json')]);
const { cacheMemory, fullGc } = await import('./cache-memory.js');
const { queueThroughput, runnerThroughput } = await import('./queue-throughput.js');
const { formatReport } = await import('./report.js');

const positive = (what: string) => C.wholeNumber({ min: 1, what });
const SETTINGS = defineSettings({
  keys: { flag: 'keys', codec: positive('a positive number of keys'), default: '200000', description: 'queue: keys through the queue per round', placeholder: 'N' },
  objects: { flag: 'objects', codec: positive('a positive number of objects'), default: '10000', description: 'cache: objects in the informer cache', placeholder: 'N' },
  concurrency: { flag: 'concurrency', codec: positive('a positive number of workers'), default: '8', description: 'queue: workers', placeholder: 'N' },
  rounds: { flag: 'rounds', codec: positive('a positive number of rounds'), default: '5', description: 'queue: measured rounds (after one warm-up)', placeholder: 'N' },
  json: { flag: 'json', kind: 'switch', codec: C.boolean, default: false, description: 'print the report as JSON' },
});

let parsed;
try {
  parsed = parseSettings(SETTINGS, process.argv.slice(2), process.env, { positionals: true });
} catch (err) {
  if (!isSettingsError(err)) throw err;
  console.error(`bench: ${err.message}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(settingsHelp(SETTINGS, 'usage: npm run bench [-- queue|cache|all] [flags]'));
  process.exit(0);
}
const { values, positionals } = parsed;
const which = positionals[0] ?? 'all';
if (!['all', 'queue', 'cache'].includes(which)) {
  console.error(`unknown benchmark ${which}: use queue, cache, all, convert, gpu-provisioner or workspaces`);
  process.exit(2);
}
const { keys, objects, concurrency, rounds } = values;

const report: Report = { node: process.version, platform: `${process.platform}/${process.arch}` };

if (which !== 'cache') {
  // A warm-up round lets the JIT settle; then the best and the median of `rounds`.
  await runnerThroughput({ keys: Math.min(keys, 50_000), concurrency });
  const runner = [];
  const bare = [];
  for (let i = 0; i < rounds; i++) {
    fullGc();
    runner.push(await runnerThroughput({ keys, concurrency }));
    fullGc();
    bare.push(await queueThroughput({ keys, concurrency }));
  }
  report.queue = { keys, concurrency, runner: runner.map((r) => r.keysPerSecond), bare: bare.map((r) => r.keysPerSecond) };
}

if (which !== 'queue') {
  report.cache = [await cacheMemory(objects, true), await cacheMemory(objects, false)];
}

console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
