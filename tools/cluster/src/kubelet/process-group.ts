/**
 * Starting a container's process in its own mount namespace and process group, and stopping a
 * process group the way a kubelet stops a container: SIGTERM, the grace period, then SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Isolation, isolationFor, unshareOptions } from './namespaces.js';

/** Every container process carries this variable (the kubelet's directory), so a sweep after a crash kills only ours. */
export const MARKER_ENV = 'KAITO_TS_PROCESS_KUBELET';

export interface StartedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (128 + signal number when killed by a signal). */
  readonly exited: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

export interface StartOptions {
  readonly script: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** The kubelet's directory: marker value and where the pid file goes. */
  readonly kubeletDir: string;
  readonly pidFile: string;
  /** Default: root's mount namespace as root, else a user namespace (namespaces.ts). */
  readonly isolation?: Isolation;
}

export class StartError extends Error {
  readonly code = 'StartError' as const;
}

/**
 * Spawns `unshare [--user --map-root-user] --mount … bash script argv…` detached (its own process
 * group), output appended to logFile. bash, not /bin/sh: Debian's dash drops environment variables
 * whose names are not shell identifiers when it execs, and Kubernetes allows any printable name
 * (the transformers runtime gets one per adapter, e.g. `tuned-phi-3=0.5`); bash passes them on.
 */
export function startProcess(o: StartOptions): Promise<StartedProcess> {
  let isolation: Isolation;
  try {
    isolation = o.isolation ?? isolationFor();
  } catch (err) {
    return Promise.reject(new StartError((err as Error).message));
  }
  mkdirSync(dirname(o.logFile), { recursive: true });
  const fd = openSync(o.logFile, 'a');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('unshare', [...unshareOptions(isolation), '--', 'bash', o.script, ...o.argv], {
        detached: true,
        env: { ...o.env, [MARKER_ENV]: o.kubeletDir },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const exited = new Promise<number>((res) => {
      child.once('exit', (code, signal) => {
        // A runtime ends the whole container when its main process exits; what the program left
        // running in its group (a `cmd &`) must not outlive it, the pod, or `cluster down`.
        signalGroup(child.pid ?? 0, 'SIGKILL');
        rmSync(o.pidFile, { force: true });
        res(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0));
      });
    });
    child.once('error', (err) => reject(new StartError(`cannot start unshare (util-linux) for the container: ${err.message}`)));
    child.once('spawn', () => {
      const pid = child.pid ?? 0;
      mkdirSync(dirname(o.pidFile), { recursive: true });
      writeFileSync(o.pidFile, String(pid));
      resolve({ child, pid, exited });
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopProcess(p: StartedProcess, graceMs: number): Promise<number> {
  signalGroup(p.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((res) => {
    timer = setTimeout(() => {
      signalGroup(p.pid, 'SIGKILL');
      res();
    }, Math.max(0, graceMs));
  });
  const code = await Promise.race([p.exited, killed.then(() => p.exited)]);
  clearTimeout(timer);
  // The group leader is gone; children it left behind in the group go too.
  signalGroup(p.pid, 'SIGKILL');
  return code;
}

/** Whether `pid` is alive and one of this kubelet's containers (its environment carries the marker). */
export function isOurContainer(pid: number, kubeletDir: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return environ.split('\0').includes(`${MARKER_ENV}=${kubeletDir}`);
  } catch {
    return false;
  }
}

/**
 * Kills every container process group recorded under `pidsDir` that still runs (a kubelet that
 * crashed or was killed leaves them), then every other process carrying the marker: the children
 * of a container whose main process exited while no kubelet was there to end its group. Returns
 * the pids killed.
 */
export function sweepContainers(pidsDir: string, kubeletDir: string): number[] {
  const killed: number[] = [];
  if (existsSync(pidsDir)) {
    for (const f of readdirSync(pidsDir)) {
      const pid = Number.parseInt(readFileSync(join(pidsDir, f), 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && isOurContainer(pid, kubeletDir)) {
        signalGroup(pid, 'SIGKILL');
        killed.push(pid);
      }
      rmSync(join(pidsDir, f), { force: true });
    }
  }
  for (const entry of readdirSync('/proc')) {
    const pid = /^\d+$/.test(entry) ? Number(entry) : 0;
    if (pid > 0 && pid !== process.pid && !killed.includes(pid) && isOurContainer(pid, kubeletDir)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // gone
      }
    }
  }
  return killed;
}
