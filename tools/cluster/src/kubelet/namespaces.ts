/**
 * How a container gets its own mount namespace, as root or not.
 *
 * As root: `unshare --mount`. As anyone else: `unshare --user --map-root-user --mount` (a user
 * namespace, where the user is root over its own mounts; Linux allows bind mounts and read-only
 * remounts there). So the process kubelet needs no root, only unprivileged user namespaces, which
 * Debian and most distributions allow. The one thing a user namespace cannot do is create a mount
 * point the user may not write (`/dev/termination-log`, `/var/run/secrets/...`): those are created
 * on the host first, through `sudo -n` when the user cannot (ensureMountPoints), and a mount point
 * under a directory the user may not even enter (`/root`) gets an empty tmpfs over that directory
 * in the container's namespace (unreachableDirs).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Mount } from './volumes.js';

export type Isolation = 'root' | 'user-namespace';

const PRIVATE_MOUNTS = ['--mount', '--propagation', 'private'];

/** The `unshare` options before `-- /bin/sh start.sh …`. */
export function unshareOptions(isolation: Isolation): string[] {
  return isolation === 'root' ? PRIVATE_MOUNTS : ['--user', '--map-root-user', ...PRIVATE_MOUNTS];
}

/** The `nsenter` options that join a running container's mount namespace (an exec probe). */
export function nsenterOptions(isolation: Isolation): string[] {
  // --preserve-credentials: we are already the namespace's root; changing groups is refused there.
  return isolation === 'root' ? ['--mount'] : ['--preserve-credentials', '--user', '--mount'];
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

/**
 * The directories on the way to `paths` this user may not enter (`/root`, mode 700, for a mount at
 * `/root/.docker-push`). In a user namespace nothing can be mounted beneath them, so the container
 * covers each with an empty tmpfs first (mount-script.ts): it hides only what the user could not
 * read anyway, as an image's own `/root` would. None as root.
 */
export function unreachableDirs(paths: readonly string[], isolation: Isolation): string[] {
  if (isolation === 'root') return [];
  const out = new Set<string>();
  for (const p of paths) {
    let dir = '';
    for (const part of p.split('/').filter(Boolean).slice(0, -1)) {
      dir += `/${part}`;
      if (!existsSync(dir)) break;
      try {
        accessSync(dir, constants.X_OK);
      } catch {
        out.add(dir);
        break;
      }
    }
  }
  return [...out].sort();
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
  // Under another mount's target, or under a tmpfs-covered directory: start.sh makes those.
  const covered = [...mounts.map((m) => m.target), ...unreachableDirs(mounts.map((m) => m.target), isolation)];
  for (const m of mounts) {
    if (existsSync(m.target)) continue;
    if (covered.some((t) => t !== m.target && m.target.startsWith(`${t}/`))) continue;
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
