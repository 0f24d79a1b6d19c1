/**
 * How a container gets its own mount namespace, as root or not.
 *
 * As root: `unshare --mount`. As anyone else: `unshare --user --map-root-user --mount` (a user
 * namespace, where the user is root over its own mounts; Linux allows bind mounts and read-only
 * remounts there). So the process kubelet needs no root, only unprivileged user namespaces, which
 * Debian and most distributions allow. The one thing a user namespace cannot do is create a mount
 * point the user may not write (`/dev/termination-log`, `/var/run/secrets/...`): those are created
 * on the host first, through `sudo -n` when the user cannot (ensureMountPoints).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Mount } from './volumes.js';

export type Isolation = 'root' | 'user-namespace';

const PRIVATE_MOUNTS = ['--mount', '--propagation', 'private'];

/** The `unshare` options before `-- /bin/sh start.sh …`. */
export function unshareOptions(isolation: Isolation): string[] {
  return isolation === 'root' ? PRIVATE_MOUNTS : ['--user', '--map-root-user', ...PRIVATE_MOUNTS];
}

export class IsolationError extends Error {
  readonly code = 'IsolationUnavailable' as const;
}

const probed = new Map<number, Isolation | IsolationError>();

/**
 * The isolation this user gets: root, or a user namespace when `unshare --user` works here (probed
 * once per uid). Throws IsolationError, one line saying what to change, when neither is possible.
 */
export function isolationFor(uid: number | undefined = process.getuid?.()): Isolation {
  if (uid === 0) return 'root';
  const key = uid ?? -1;
  let found = probed.get(key);
  if (found === undefined) {
    const r = spawnSync('unshare', [...unshareOptions('user-namespace'), '--', 'true'], { encoding: 'utf8', timeout: 10_000, env: process.env });
    const why = r.error?.message ?? r.stderr.trim().split('\n')[0] ?? '';
    found =
      r.status === 0
        ? 'user-namespace'
        : new IsolationError(
            `the process kubelet gives each container its own mount namespace; as uid ${key} that needs unprivileged user namespaces, which this machine refuses (unshare --user: ${why || `exit ${r.status}`}): allow them (sysctl -w user.max_user_namespaces=15000; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0) or run the cluster as root`,
          );
    probed.set(key, found);
  }
  if (found instanceof IsolationError) throw found;
  return found;
}

export class MountPointError extends Error {
  readonly code = 'MountPointError' as const;
}

const denied = (err: unknown): boolean => ['EACCES', 'EPERM', 'EROFS'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * In a user namespace, creates on the host each mount point that does not exist yet (an empty
 * directory, or an empty file where the source is a file), as start.sh would as root; with
 * `sudo -n` where this user may not write. A target under another mount's target is left to
 * start.sh: it lands in that mount's source, which the user owns. Throws MountPointError naming
 * the path and the command to run when neither works.
 */
export function ensureMountPoints(mounts: readonly Mount[], isolation: Isolation): void {
  if (isolation === 'root') return;
  const targets = mounts.map((m) => m.target);
  for (const m of mounts) {
    if (existsSync(m.target)) continue;
    if (targets.some((t) => t !== m.target && m.target.startsWith(`${t}/`))) continue;
    // start.sh makes a missing source a directory.
    const isDir = !existsSync(m.source) || statSync(m.source).isDirectory();
    try {
      if (isDir) mkdirSync(m.target, { recursive: true });
      else {
        mkdirSync(dirname(m.target), { recursive: true });
        closeSync(openSync(m.target, 'a'));
      }
      continue;
    } catch (err) {
      if (!denied(err)) throw err;
    }
    const argv = isDir ? ['mkdir', '-p', m.target] : ['sh', '-c', 'mkdir -p "$(dirname "$1")" && touch "$1"', 'sh', m.target];
    const r = spawnSync('sudo', ['-n', ...argv], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) {
      const create = isDir ? `sudo mkdir -p ${m.target}` : `sudo touch ${m.target}`;
      throw new MountPointError(
        `mount point ${m.target} does not exist and this user may not create it (sudo -n: ${r.error?.message ?? (r.stderr.trim().split('\n')[0] || `exit ${r.status}`)}): create it once (${create}), or give this user passwordless sudo`,
      );
    }
  }
}
