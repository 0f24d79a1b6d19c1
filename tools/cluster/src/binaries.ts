import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { codedError } from '@kaito-ts/core';
import { type ClusterPaths, toolDir } from './paths.js';
import { type Versions, versions as pinnedVersions } from './versions.js';

export const BINARY_NAMES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'etcd',
  'kwok',
  'kwokctl',
  'helm',
] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

/** What `up` needs (helm is built by `build` / build-binaries.sh for chart work, not for the cluster). */
export const CLUSTER_BINARIES: readonly BinaryName[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'etcd',
  'kwok',
  'kwokctl',
];

export function binaryVersion(name: BinaryName, v: Versions): string {
  switch (name) {
    case 'kube-apiserver':
    case 'kube-controller-manager':
    case 'kube-scheduler':
      return v.kube;
    case 'etcd':
      return v.etcd;
    case 'kwok':
    case 'kwokctl':
      return v.kwok;
    case 'helm':
      return v.helm;
  }
}

/** `<binDir>/<name>-<version>/<name>`: the layout build-binaries.sh writes. */
export function binaryPath(paths: ClusterPaths, name: BinaryName, v: Versions = pinnedVersions()): string {
  return join(paths.binDir, `${name}-${binaryVersion(name, v)}`, name);
}

export function missingBinaries(paths: ClusterPaths, names: readonly BinaryName[] = BINARY_NAMES): BinaryName[] {
  return names.filter((n) => !existsSync(binaryPath(paths, n)));
}

export class BinaryBuildError extends codedError('BinaryBuildFailed') {}

/**
 * Builds whatever is missing with build-binaries.sh (Go module proxy; cached by version, so this
 * is a no-op once built). Output goes to `log` line by line.
 */
export async function ensureBinaries(
  paths: ClusterPaths,
  opts: { names?: readonly BinaryName[]; log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const missing = missingBinaries(paths, opts.names);
  if (missing.length === 0) return;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(`cluster: building ${missing.join(', ')} (first run only; cached in ${paths.binDir})`);
  const script = join(toolDir(), 'build-binaries.sh');
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn('bash', [script, ...missing], {
      env: { ...(opts.env ?? process.env), KAITO_TS_CACHE: paths.cacheRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (err) => reject(new BinaryBuildError(`cannot run ${script}: ${err.message}`, { cause: err })));
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new BinaryBuildError(`build-binaries.sh exited with ${code}; see the lines above, fix, and rerun`)),
    );
  });
}
