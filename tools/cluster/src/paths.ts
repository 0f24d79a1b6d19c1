import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The cluster name `up` uses unless told otherwise. */
export const DEFAULT_CLUSTER_NAME = 'kaito-ts';

/** `$KAITO_TS_CLUSTER`, else DEFAULT_CLUSTER_NAME: lets a run (e.g. jest) use a separate cluster. */
export function defaultClusterName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env['KAITO_TS_CLUSTER'];
  return name !== undefined && name !== '' ? name : DEFAULT_CLUSTER_NAME;
}

/** Where everything outside the repository lives: built binaries and cluster state. */
export interface ClusterPaths {
  /** `$KAITO_TS_CACHE`, else `$XDG_CACHE_HOME/kaito-ts`, else `~/.cache/kaito-ts`. */
  readonly cacheRoot: string;
  /** Built binaries: `<binDir>/<name>-<version>/<name>`. */
  readonly binDir: string;
  /** kwokctl's work directory (`KWOK_WORKDIR`); kwokctl keeps pki, pids, logs and etcd data under it. */
  readonly kwokWorkdir: string;
  /** kwokctl's directory for this cluster. */
  readonly kwokClusterDir: string;
  /** Our state for this cluster: the kwokctl configuration we generated and `state.json`. */
  readonly stateDir: string;
  readonly stateFile: string;
  readonly kwokctlConfigFile: string;
  /** The kubeconfig kwokctl writes for the host (admin client certificate). */
  readonly kubeconfig: string;
  /** Serialises `up`/`down` between processes. */
  readonly lockFile: string;
  /** Serialises `kwokctl create` of all clusters in this cache (kwokctl's port choice races). */
  readonly createLockFile: string;
}

export function clusterPaths(name?: string, env: NodeJS.ProcessEnv = process.env): ClusterPaths {
  name ??= defaultClusterName(env);
  const cacheRoot = resolve(
    env['KAITO_TS_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(env['HOME'] ?? homedir(), '.cache'), 'kaito-ts'),
  );
  const kwokWorkdir = join(cacheRoot, 'kwok');
  const kwokClusterDir = join(kwokWorkdir, 'clusters', name);
  const stateDir = join(cacheRoot, 'clusters', name);
  return {
    cacheRoot,
    binDir: join(cacheRoot, 'bin'),
    kwokWorkdir,
    kwokClusterDir,
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    kwokctlConfigFile: join(stateDir, 'kwokctl.yaml'),
    kubeconfig: join(kwokClusterDir, 'kubeconfig.yaml'),
    lockFile: join(cacheRoot, 'clusters', `${name}.lock`),
    createLockFile: join(kwokWorkdir, 'create.lock'),
  };
}

/** tools/cluster, found from this file whether it runs from src (tsx, jest) or dist. */
export function toolDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..');
}

/** The repository root (two levels above tools/cluster). */
export function repoRoot(): string {
  return resolve(toolDir(), '..', '..');
}
