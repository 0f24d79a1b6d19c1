/**
 * A machine-wide lock on a host port for the e2e files whose pods serve on the host's network (the
 * process kubelet runs them there: the CPU inference stand-in listens on 5000). The e2e tier runs
 * files on several jest workers at once, each on a cluster of its own, but a host port is shared by
 * all of them: two such files must take turns.
 *
 * A directory is created atomically or not at all (mkdir), so it is the lock; it holds the owner's
 * pid, and a lock whose owner is gone (a killed run) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Waits until this process holds the lock on `port`; resolves to the release function. */
export async function lockHostPort(port: number, timeoutMs: number, dir = tmpdir()): Promise<() => void> {
  const path = join(dir, `kaito-ts-e2e-port-${port}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(path, 'pid'), 'utf8'));
    } catch {
      // Being created or removed this instant: look again.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`port ${port}: another e2e file (pid ${String(owner)}) held ${path} for longer than ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
