/**
 * The cluster's process kubelet as a detached process: `up` starts it (and restarts a dead one on
 * reuse), `down` stops it (it stops its containers) and then kills any container process group it
 * left behind, so nothing of ours keeps running.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPaths } from '../paths.js';
import { repoRoot, toolDir } from '../paths.js';
import { kubeletDirs } from './dirs.js';
import { IsolationError, isolationFor } from './namespaces.js';
import { sweepContainers } from './process-group.js';

export interface KubeletProcessPaths {
  readonly dir: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly readyFile: string;
}

/** `clusters/<name>/kubelet/`: pods/, logs/ (container logs), pids/, kubelet.log, kubelet.pid. */
export function kubeletProcessPaths(paths: ClusterPaths): KubeletProcessPaths {
  const dir = join(paths.stateDir, 'kubelet');
  return { dir, pidFile: join(dir, 'kubelet.pid'), logFile: join(dir, 'kubelet.log'), readyFile: join(dir, 'ready') };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and started for this directory (its command line names it), so a reused pid is not ours. */
function isKubelet(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dir);
  } catch {
    return false;
  }
}

export function kubeletPid(paths: ClusterPaths): number | undefined {
  const k = kubeletProcessPaths(paths);
  const pid = readPid(k.pidFile);
  return pid !== undefined && isKubelet(pid, k.dir) ? pid : undefined;
}

/** The command that runs main.ts: from source with tsx (the repository), else the built main.js. */
function kubeletCommand(): string[] {
  const source = join(toolDir(), 'src', 'kubelet', 'main.ts');
  if (existsSync(source)) return [join(repoRoot(), 'node_modules', '.bin', 'tsx'), '--conditions=@kaito-ts/source', source];
  return [process.execPath, join(toolDir(), 'dist', 'kubelet', 'main.js')];
}

/**
 * Starts the kubelet unless it runs; waits until it serves pods. Returns its pid, or undefined when
 * this user can get no mount namespace (not root, and user namespaces refused): the rest of the
 * cluster needs none, so `up` goes on without it and says what to change.
 */
export async function ensureKubeletProcess(
  paths: ClusterPaths,
  log: (line: string) => void,
  timeoutMs = 60_000,
  uid: number | undefined = process.getuid?.(),
): Promise<number | undefined> {
  const running = kubeletPid(paths);
  if (running !== undefined) return running;
  try {
    isolationFor(uid);
  } catch (err) {
    if (!(err instanceof IsolationError)) throw err;
    log(`cluster: process kubelet not started: ${err.message}; pods on --run-pods nodes and pods annotated kaito-ts.dev/run-as-process stay Pending`);
    return undefined;
  }
  const k = kubeletProcessPaths(paths);
  mkdirSync(k.dir, { recursive: true });
  rmSync(k.readyFile, { force: true });
  const [cmd, ...args] = kubeletCommand();
  const fd = openSync(k.logFile, 'a');
  const child = spawn(cmd ?? 'node', [...args, '--dir', k.dir, '--kubeconfig', paths.kubeconfig], {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: repoRoot(),
  });
  closeSync(fd);
  // Exit is read from the child itself, not from /proc/<pid>/cmdline: between fork and exec the
  // child's cmdline is still this process's, which a loaded machine made long enough to be seen
  // as "exited at start".
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
  });
  child.unref();
  const pid = child.pid ?? 0;
  writeFileSync(k.pidFile, String(pid));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(k.readyFile)) {
    // The log's tail goes in the message: a failed `up` removes the cluster's directory, log included.
    if (exit !== undefined || pid === 0) throw new Error(`the process kubelet exited at start (${exit ?? 'not spawned'}); the end of ${k.logFile}:\n${logTail(k.logFile)}`);
    if (Date.now() > deadline) throw new Error(`the process kubelet did not start within ${timeoutMs / 1000}s; see ${k.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`cluster: process kubelet running (pid ${pid}); container logs in ${kubeletDirs(k.dir).logs}`);
  return pid;
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Stops the kubelet (SIGTERM: it stops its containers), SIGKILL after `timeoutMs`, then kills any container it left. */
export async function stopKubeletProcess(paths: ClusterPaths, log: (line: string) => void, timeoutMs = 45_000): Promise<void> {
  const k = kubeletProcessPaths(paths);
  const pid = kubeletPid(paths);
  if (pid !== undefined) {
    log(`cluster: stopping the process kubelet (pid ${pid})`);
    try {
      // To the kubelet only (tsx passes it on); the group gets SIGKILL below if it hangs.
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
    const deadline = Date.now() + timeoutMs;
    while (isKubelet(pid, k.dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const left = sweepContainers(kubeletDirs(k.dir).pids, k.dir);
  if (left.length > 0) log(`cluster: killed container processes the kubelet left (pids ${left.join(', ')})`);
  rmSync(k.pidFile, { force: true });
}
