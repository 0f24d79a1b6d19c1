/**
 * `npm run bench -- workspaces [--run MODE/COUNT/SKU]... [--cluster NAME] [--steady 60s] [--json]`
 *
 * The workspace controller on the local control plane, in the reference measurement's shape
 * (run.ts): bursts of inference Workspaces, time to node requests and to WorkspaceReady, requests
 * per Workspace attributed through FlowSchemas, controller RSS, writes in steady state; printed
 * next to the reference controller's figures and the targets (workspaces-report.ts). Each run
 * recreates cluster `--cluster` (default: $KAITO_TS_CLUSTER, else bench-workspaces).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { DEFAULT_RUNS, parseRunSpec, RunSpecError, type RunSpec } from './runs.js';
import { runFloorBench } from './floor.js';
import { controllerNodeFlags } from './node-flags.js';
import { runWorkspacesBench, sourceArgs } from './run.js';
import { type FloorResult, formatWorkspacesReport, type RunResult } from './workspaces-report.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..', '..');

const SETTINGS = defineSettings({
  runs: { flag: 'run', kind: 'list', codec: C.list(C.text), default: [...DEFAULT_RUNS], description: 'MODE/COUNT/SKU, repeatable; modes: nodeclaim (kwok provisioner, to Ready), nodeclaim-only (no provisioner, the reference shape), byo, byo-floor (the BYO objects created by an admin, no controller: the cluster\u2019s own time)', example: 'byo/200/Standard_NC6s_v3', placeholder: 'SPEC' },
  cluster: { flag: 'cluster', env: 'KAITO_TS_CLUSTER', codec: C.text, default: 'bench-workspaces', description: 'the local cluster to (re)create for each run: never one in use', placeholder: 'NAME' },
  stillMs: { flag: 'still', codec: C.duration, default: '10s', description: 'the request count must not move this long before idle and steady state begin', placeholder: 'DURATION' },
  steadyMs: { flag: 'steady', codec: C.duration, default: '60s', description: 'steady-state window in which writes are counted', placeholder: 'DURATION' },
  timeoutMs: { flag: 'timeout', codec: C.duration, default: '5m', description: 'limit of each wait (node requests, Ready, stillness)', placeholder: 'DURATION' },
  controller: {
    flag: 'controller',
    codec: C.oneOf(['dist', 'source']),
    default: 'dist',
    description: 'run the controller as built (tsc --build first; what a cluster runs) or from source through tsx (whose transpiler adds to the RSS)',
    placeholder: 'dist|source',
  },
  controllerArgs: { flag: 'controller-arg', kind: 'list', codec: C.list(C.text), default: [], description: 'extra workspace-controller flag (repeatable)', example: '--concurrency=8', placeholder: 'FLAG' },
  provisionerArgs: {
    flag: 'provisioner-arg',
    kind: 'list',
    codec: C.list(C.text),
    default: ['--launch-delay=1s', '--concurrency=50'],
    description: 'kwok-provisioner flags (repeatable; replaces the default)',
    example: '--launch-delay=5s',
    placeholder: 'FLAG',
  },
  workDir: { flag: 'work-dir', codec: C.absolutePath, default: join(tmpdir(), 'kaito-ts-bench', 'workspaces'), description: 'process logs and the controller kubeconfig of each run', placeholder: 'DIR' },
  keepCluster: { flag: 'keep-cluster', kind: 'switch', codec: C.boolean, default: false, description: 'leave the last run\u2019s cluster running' },
  json: { flag: 'json', kind: 'switch', codec: C.boolean, default: false, description: 'print the results as JSON' },
});

const USAGE = settingsHelp(SETTINGS, 'usage: npm run bench -- workspaces [flags]');

/** `tsc --build` of the controller and what it imports (a no-op when up to date); its entry point. */
function buildController(): string {
  const app = join(REPO, 'apps', 'workspace-controller');
  const build = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '--build', join(app, 'tsconfig.json')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building apps/workspace-controller failed');
  return join(app, 'dist', 'main.js');
}

async function workspacesBench(argv: readonly string[]): Promise<number> {
  let values;
  let runs: RunSpec[];
  try {
    const parsed = parseSettings(SETTINGS, argv, process.env);
    if (parsed.help) {
      console.log(USAGE);
      return 0;
    }
    values = parsed.values;
    runs = values.runs.map(parseRunSpec);
  } catch (err) {
    if (!isSettingsError(err) && !(err instanceof RunSpecError)) throw err;
    console.error(`bench workspaces: ${err.message}`);
    return 2;
  }
  if (values.cluster === 'kaito-ts') {
    console.error('bench workspaces: --cluster kaito-ts is the shared default cluster and each run recreates its cluster; name another (KAITO_TS_CLUSTER=…)');
    return 2;
  }
  // The image's node flags (V8 heap settings), so the benchmark runs the process a cluster runs.
  const nodeFlags = controllerNodeFlags(REPO);
  const controllerNodeArgs = [...nodeFlags, ...(values.controller === 'dist' ? [buildController()] : sourceArgs(REPO, 'apps/workspace-controller/src/main.ts'))];
  const results: RunResult[] = [];
  const floors: FloorResult[] = [];
  let failed = 0;
  for (const [i, spec] of runs.entries()) {
    try {
      const options = {
        ...spec,
        cluster: values.cluster,
        repoRoot: REPO,
        workDir: join(values.workDir, `${i}-${spec.mode}-${spec.count}-${spec.sku}`),
        stillMs: values.stillMs,
        steadyMs: values.steadyMs,
        timeoutMs: values.timeoutMs,
        controllerNodeArgs,
        controllerArgs: values.controllerArgs,
        provisionerArgs: values.provisionerArgs,
        keepCluster: values.keepCluster && i === runs.length - 1,
        log: (line: string) => console.error(line),
      };
      const { mode } = spec;
      const result = mode === 'byo-floor' ? await runFloorBench(options) : await runWorkspacesBench({ ...options, mode });
      if (result.mode === 'byo-floor') floors.push(result);
      else results.push(result);
      console.error(JSON.stringify(result));
    } catch (err) {
      // One failed run (e.g. a process that did not start) must not lose the others' numbers.
      failed++;
      console.error(`bench workspaces: run ${spec.mode}/${spec.count}/${spec.sku} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const report = { node: process.version, cpus: cpus().length, controller: `apps/workspace-controller ${values.controller === 'dist' ? 'built (node dist/main.js)' : 'from source (node --import tsx)'}, node ${nodeFlags.join(' ') || 'without flags'}, ${values.controllerArgs.join(' ') || 'default flags'}`, runs: results, floors };
  console.log(values.json ? JSON.stringify(report, null, 2) : formatWorkspacesReport(report));
  return failed > 0 ? 1 : 0;
}

process.exitCode = await workspacesBench(process.argv.slice(2));
