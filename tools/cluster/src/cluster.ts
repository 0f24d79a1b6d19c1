import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { link, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codedError } from '@kaito-ts/core';
import type { KubeConfig } from '@kubernetes/client-node';
import { applyPath, waitForCrdsEstablished } from './apply.js';
import { binaryPath, CLUSTER_BINARIES, ensureBinaries } from './binaries.js';
import { isReady, kubeClientsFor, loadKubeConfig } from './kube.js';
import { ensureKubeletProcess, kubeletPid, stopKubeletProcess } from './kubelet/process.js';
import { COMPONENTS, kwokctlConfigurationYaml } from './kwokctl-config.js';
import { type ClusterPaths, clusterPaths, defaultClusterName, toolDir } from './paths.js';
import { type Versions, versions } from './versions.js';

export interface ClusterOptions {
  readonly name?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (plain text). Default: stderr. */
  readonly log?: (line: string) => void;
}

/** What `up` records in state.json. */
export interface ClusterState {
  readonly name: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly startedAt: string;
  readonly versions: Versions;
  /** Component name → pid, as kwokctl started them. */
  readonly pids: Record<string, number>;
}

export interface UpResult {
  readonly state: ClusterState;
  /** False when a running, ready cluster was reused. */
  readonly started: boolean;
  readonly seconds: number;
}

export interface ComponentStatus {
  readonly name: string;
  readonly pid: number;
  readonly alive: boolean;
}

export interface ClusterStatus {
  readonly name: string;
  /** state.json exists. */
  readonly exists: boolean;
  /** /readyz answered 200. */
  readonly ready: boolean;
  readonly server?: string;
  readonly kubeconfig: string;
  readonly components: readonly ComponentStatus[];
}

export class ClusterError extends codedError('ClusterError') {}

const STAGE_CRD = 'stages.kwok.x-k8s.io';
const KWOKCTL_TIMEOUT = '5m';

function logger(opts: ClusterOptions): (line: string) => void {
  return opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
}

/** The directory of kwok Stage manifests installed into every cluster (also used by the kind path). */
export function stagesDir(): string {
  return join(toolDir(), 'stages');
}

export function readState(paths: ClusterPaths): ClusterState | undefined {
  if (!existsSync(paths.stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/**
 * Why a recorded cluster cannot be reused, or undefined when it can: it must run the pinned
 * binaries, and every component must still run (/readyz stays 200 with the scheduler or
 * kwok-controller dead, and then pods are never placed or never become Ready).
 */
export function clusterProblem(state: ClusterState, paths: ClusterPaths): string | undefined {
  const pinned = versions();
  const differ = (['kube', 'etcd', 'kwok'] as const).filter((k) => state.versions?.[k] !== pinned[k]);
  if (differ.length > 0) {
    return `was started from other binaries (${differ.map((k) => `${k} ${String(state.versions?.[k])}, pinned ${pinned[k]}`).join('; ')})`;
  }
  // kwokctl's configuration (e.g. which nodes kwok manages) only takes effect on create.
  if (existsSync(paths.kwokctlConfigFile) && readFileSync(paths.kwokctlConfigFile, 'utf8') !== kwokctlConfigurationYaml(paths, pinned)) {
    return 'was started with another kwokctl configuration';
  }
  const pids = existsSync(paths.kwokClusterDir) ? readPids(paths) : (state.pids ?? {});
  const dead = COMPONENTS.filter((c) => pids[c] === undefined || !isOurProcess(pids[c], paths));
  return dead.length > 0 ? `has components that are not running (${dead.join(', ')})` : undefined;
}

/** A cluster we can use: state recorded, the pinned binaries, every component running, kubeconfig present and /readyz 200. */
export async function runningCluster(opts: ClusterOptions = {}): Promise<ClusterState | undefined> {
  const paths = clusterPaths(opts.name ?? defaultClusterName(opts.env), opts.env);
  const state = readState(paths);
  if (state === undefined || !existsSync(state.kubeconfig)) return undefined;
  if (clusterProblem(state, paths) !== undefined) return undefined;
  return (await isReady(loadKubeConfig(state.kubeconfig))) ? state : undefined;
}

/**
 * Starts the local control plane (or reuses the running one): builds missing binaries, runs
 * kwokctl's binary runtime on 127.0.0.1 with free ports, waits for /readyz and for the scheduler
 * and controller-manager to hold their leases, and installs the kwok stages.
 */
export async function up(opts: ClusterOptions = {}): Promise<UpResult> {
  const t0 = Date.now();
  const name = opts.name ?? defaultClusterName(opts.env);
  const paths = clusterPaths(name, opts.env);
  const log = logger(opts);
  await ensureBinaries(paths, { names: CLUSTER_BINARIES, log, ...(opts.env ? { env: opts.env } : {}) });

  return withLock(paths.lockFile, async () => {
    const existing = await runningCluster(opts);
    if (existing !== undefined) {
      log(`cluster: ${name} already running at ${existing.server}`);
      await ensureKubeletProcess(paths, log);
      return { state: existing, started: false, seconds: (Date.now() - t0) / 1000 };
    }
    if (existsSync(paths.kwokClusterDir) || existsSync(paths.stateDir)) {
      const recorded = readState(paths);
      const problem = recorded !== undefined ? clusterProblem(recorded, paths) : undefined;
      log(`cluster: ${name} ${problem ?? 'has stale state'}; cleaning it up first`);
      await stopAndRemove(paths, name, opts);
    }

    const v = versions();
    mkdirSync(paths.stateDir, { recursive: true });
    writeFileSync(paths.kwokctlConfigFile, kwokctlConfigurationYaml(paths, v));
    log(`cluster: starting ${name} (kube ${v.kube}, etcd ${v.etcd}, kwok ${v.kwok})`);
    try {
      // kwokctl picks each port by probing from 32766 down, so two clusters created at once get
      // the same ports. One create at a time per cache, until its components listen.
      const kc = await withLock(paths.createLockFile, async () => {
        await kwokctl(paths, opts, [
          '--name',
          name,
          'create',
          'cluster',
          '--config',
          paths.kwokctlConfigFile,
          '--kubeconfig=',
          '--timeout',
          KWOKCTL_TIMEOUT,
          '--wait',
          '2m',
        ]);
        const config = loadKubeConfig(paths.kubeconfig);
        await waitFor(() => isReady(config), 60_000, '/readyz did not return 200', paths);
        return config;
      });
      await waitForControllers(kc, paths);
      const clients = kubeClientsFor(kc);
      await waitForCrdsEstablished(clients.apiext, [STAGE_CRD]);
      await applyPath(kc, stagesDir());
      const state: ClusterState = {
        name,
        kubeconfig: paths.kubeconfig,
        server: kc.getCurrentCluster()?.server ?? '',
        startedAt: new Date().toISOString(),
        versions: v,
        pids: readPids(paths),
      };
      writeFileSync(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
      await ensureKubeletProcess(paths, log);
      const seconds = (Date.now() - t0) / 1000;
      log(`cluster: ${name} ready at ${state.server} in ${seconds.toFixed(1)}s; KUBECONFIG=${paths.kubeconfig}`);
      return { state, started: true, seconds };
    } catch (err) {
      // Leave nothing half-started behind; the error says where the logs were.
      const logs = join(paths.kwokClusterDir, 'logs');
      const tail = tailLogs(logs);
      await stopAndRemove(paths, name, opts).catch(() => undefined);
      throw new ClusterError(
        `cluster ${name} failed to start: ${err instanceof Error ? err.message : String(err)}${tail}`,
        { cause: err },
      );
    }
  });
}

/** Stops every process `up` started (by pid) and removes the cluster's state. Idempotent. */
export async function down(opts: ClusterOptions = {}): Promise<{ stopped: boolean }> {
  const name = opts.name ?? defaultClusterName(opts.env);
  const paths = clusterPaths(name, opts.env);
  return withLock(paths.lockFile, async () => {
    const had = existsSync(paths.kwokClusterDir) || existsSync(paths.stateDir);
    await stopAndRemove(paths, name, opts);
    logger(opts)(had ? `cluster: ${name} stopped and removed` : `cluster: ${name} is not running`);
    return { stopped: had };
  });
}

export async function status(opts: ClusterOptions = {}): Promise<ClusterStatus> {
  const name = opts.name ?? defaultClusterName(opts.env);
  const paths = clusterPaths(name, opts.env);
  const state = readState(paths);
  const pids = existsSync(paths.kwokClusterDir) ? readPids(paths) : (state?.pids ?? {});
  const components = Object.entries(pids).map(([component, pid]) => ({
    name: component,
    pid,
    alive: isOurProcess(pid, paths),
  }));
  const kubelet = kubeletPid(paths);
  if (kubelet !== undefined) components.push({ name: 'process-kubelet', pid: kubelet, alive: true });
  const ready = state !== undefined && existsSync(state.kubeconfig) && (await isReady(loadKubeConfig(state.kubeconfig)));
  return {
    name,
    exists: state !== undefined,
    ready,
    ...(state !== undefined ? { server: state.server } : {}),
    kubeconfig: paths.kubeconfig,
    components,
  };
}

async function stopAndRemove(paths: ClusterPaths, name: string, opts: ClusterOptions): Promise<void> {
  const pids = existsSync(paths.kwokClusterDir) ? readPids(paths) : (readState(paths)?.pids ?? {});
  // First the process kubelet and its containers, while the API server still answers it.
  await stopKubeletProcess(paths, logger(opts));
  if (existsSync(paths.kwokClusterDir) && existsSync(binaryPath(paths, 'kwokctl'))) {
    // delete needs some kubeconfig to drop its context from; give it a scratch file, not ~/.kube/config.
    const scratch = join(paths.stateDir, 'kwokctl-contexts.yaml');
    await kwokctl(paths, opts, ['--name', name, 'delete', 'cluster', '--kubeconfig', scratch]).catch((err: unknown) => {
      logger(opts)(`cluster: kwokctl delete failed (${String(err)}); stopping processes by pid`);
    });
  }
  // kwokctl stops its components; make sure, by pid, that none survived.
  for (const [component, pid] of Object.entries(pids)) {
    if (!isOurProcess(pid, paths)) continue;
    logger(opts)(`cluster: stopping ${component} (pid ${pid})`);
    await killPid(pid, paths);
  }
  rmSync(paths.kwokClusterDir, { recursive: true, force: true });
  rmSync(paths.stateDir, { recursive: true, force: true });
}

/** Component → pid from kwokctl's pids directory. */
function readPids(paths: ClusterPaths): Record<string, number> {
  const dir = join(paths.kwokClusterDir, 'pids');
  const out: Record<string, number> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number.parseInt(readFileSync(join(dir, f), 'utf8').trim(), 10);
    if (Number.isInteger(pid) && pid > 0) out[f.slice(0, -'.pid'.length)] = pid;
  }
  return out;
}

/** Alive and running one of our cached binaries (guards against pid reuse). */
function isOurProcess(pid: number, paths: ClusterPaths): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // kwokctl runs symlinks in its cluster directory that point at our binaries.
    return readlinkSync(`/proc/${pid}/exe`).startsWith(paths.binDir);
  } catch {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(paths.cacheRoot);
    } catch {
      return false;
    }
  }
}

async function killPid(pid: number, paths: ClusterPaths): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, paths)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function kwokctl(paths: ClusterPaths, opts: ClusterOptions, args: string[]): Promise<string> {
  const bin = binaryPath(paths, 'kwokctl');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      env: { ...(opts.env ?? process.env), KWOK_WORKDIR: paths.kwokWorkdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', (err) => reject(new ClusterError(`cannot run ${bin}: ${err.message}`, { cause: err })));
    child.on('exit', (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new ClusterError(`kwokctl ${args.slice(2, 4).join(' ')} exited with ${code}:\n${out.trim()}`));
    });
  });
}

/** The scheduler and controller-manager are useful once they hold their leader leases. */
async function waitForControllers(kc: KubeConfig, paths: ClusterPaths): Promise<void> {
  const { CoordinationV1Api } = await import('@kubernetes/client-node');
  const coord = kc.makeApiClient(CoordinationV1Api);
  for (const lease of ['kube-scheduler', 'kube-controller-manager']) {
    await waitFor(
      async () => {
        const l = await coord.readNamespacedLease({ name: lease, namespace: 'kube-system' }).catch(() => undefined);
        return (l?.spec?.holderIdentity ?? '') !== '';
      },
      90_000,
      `${lease} did not acquire its leader lease`,
      paths,
    );
  }
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  _paths: ClusterPaths,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new ClusterError(`${what} within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

function tailLogs(dir: string): string {
  if (!existsSync(dir)) return '';
  const parts: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const lines = readFileSync(join(dir, f), 'utf8').trimEnd().split('\n').slice(-5);
    parts.push(`\n--- ${f} (last lines)\n${lines.join('\n')}`);
  }
  return parts.join('');
}

/** How long a lock file without a pid in it (its owner died between creating and writing it, or an older version is writing it) counts as held. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** A cross-process lock: a file holding the owner's pid; a dead owner's lock is taken over. */
async function withLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  mkdirSync(join(lockFile, '..'), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  // The pid is written first and the lock linked into place in one step, so no other process
  // ever reads an empty lock file of ours and takes it over as a dead owner's.
  const candidate = `${lockFile}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(candidate, String(process.pid));
  try {
    for (;;) {
      try {
        await link(candidate, lockFile);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number.parseInt(readFileSafe(lockFile), 10);
        const stale = Number.isInteger(owner) ? !pidAlive(owner) : lockAgeMs(lockFile) > UNREADABLE_LOCK_GRACE_MS;
        if (stale) {
          await unlink(lockFile).catch(() => undefined);
          continue;
        }
        if (Date.now() > deadline) {
          throw new ClusterError(
            `another process (pid ${Number.isInteger(owner) ? owner : 'unknown'}) holds ${lockFile}; wait for it or remove the file`,
          );
        }
        await sleep(250);
      }
    }
  } finally {
    await unlink(candidate).catch(() => undefined);
  }
  try {
    return await fn();
  } finally {
    await unlink(lockFile).catch(() => undefined);
  }
}

function lockAgeMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
