/**
 * The shell script a container starts with, inside its own mount namespace
 * (`unshare --mount --propagation private`): bind-mount each volume at its mountPath (read-only
 * where asked), the termination-message file at terminationMessagePath, change to the working
 * directory, then `exec` the program so it keeps the process id (and group) we signal.
 *
 * A mount point that does not exist on this machine is created (an empty directory, or an empty
 * file for a file mount), like a runtime does in an image's root; it stays behind as an empty
 * entry because removing it would unmount it in every other pod that uses the same path.
 */
import type { Mount } from './volumes.js';

export const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ScriptInput {
  readonly mounts: readonly Mount[];
  readonly workingDir: string;
  /** Directories covered by an empty tmpfs first (in a user namespace: ones the user may not enter; namespaces.ts). */
  readonly cover?: readonly string[];
}

export function mountScript(input: ScriptInput): string {
  const lines = ['#!/bin/sh', '# written by the kaito-ts process kubelet; see docs/local-cluster.md', 'set -e'];
  // Parents before children, so a mount inside another mount's target lands on top of it.
  for (const d of input.cover ?? []) lines.push(`mount -t tmpfs -o mode=0755 tmpfs ${quote(d)}`);
  const mounts = [...input.mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const m of mounts) {
    const src = quote(m.source);
    const dst = quote(m.target);
    lines.push(
      `if [ ! -e ${src} ]; then mkdir -p ${src}; fi`,
      `if [ -d ${src} ]; then mkdir -p ${dst}; else mkdir -p "$(dirname ${dst})"; [ -e ${dst} ] || : > ${dst}; fi`,
      `mount --bind ${src} ${dst}`,
    );
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${dst}`);
  }
  lines.push(`mkdir -p ${quote(input.workingDir)}`, `cd ${quote(input.workingDir)}`, 'exec "$@"');
  return `${lines.join('\n')}\n`;
}
