import { installRepoCrds } from '../apply.js';
import { down, runningCluster, up } from '../cluster.js';
import { isReady, loadKubeConfig } from '../kube.js';
import { ensureKubeletProcess } from '../kubelet/process.js';
import { clusterPaths, defaultClusterName } from '../paths.js';

/** Set when setup started clusters: their names, comma-separated, so teardown stops only what setup started. */
export const STARTED_ENV = 'KAITO_TS_CLUSTER_STARTED_BY_JEST';
/**
 * The cluster of each jest worker, as JSON `[{ name, kubeconfig }]` (index = JEST_WORKER_ID - 1);
 * ../testing/jest-environment.ts reads it in the worker. Must equal WORKERS_ENV there (not imported: see there).
 */
export const WORKERS_ENV = 'KAITO_TS_WORKER_CLUSTERS';

export interface WorkerCluster {
  readonly name: string;
  readonly kubeconfig: string;
}

const log = (line: string): void => {
  process.stderr.write(`[integration] ${line}\n`);
};

/**
 * The cluster names of `workers` jest workers: worker 1 uses `base` (the only one a --runInBand
 * run uses, as before), worker i `base-w<i>`. Each worker runs its files one after another on a
 * cluster of its own, so files never share a control plane at the same time: the isolation of a
 * --runInBand run, on several clusters at once.
 */
export function workerClusterNames(base: string, workers: number): string[] {
  return Array.from({ length: Math.max(1, workers) }, (_, i) => (i === 0 ? base : `${base}-w${i + 1}`));
}

/** `maxWorkers` of jest's global config: 1 under --runInBand. */
export async function setup(maxWorkers = 1): Promise<void> {
  const t0 = Date.now();
  let clusters: WorkerCluster[];
  const external = process.env['KAITO_TS_KUBECONFIG'];
  if (external !== undefined && external !== '') {
    if (!(await isReady(loadKubeConfig(external)))) {
      throw new Error(`KAITO_TS_KUBECONFIG=${external}: the API server is not ready (/readyz); start that cluster first`);
    }
    // One external cluster for every worker: files then share it at the same time, so run
    // --runInBand against it (docs/local-cluster.md).
    clusters = [{ name: defaultClusterName(), kubeconfig: external }];
    log(`using the cluster of KAITO_TS_KUBECONFIG=${external}`);
  } else {
    const names = workerClusterNames(defaultClusterName(), maxWorkers);
    if (names.length > 1) log(`one cluster for each of ${names.length} jest workers: ${names.join(', ')}`);
    const started: string[] = [];
    // Started together: kwokctl's creates take turns (create.lock), the waits after them overlap.
    const settled = await Promise.allSettled(names.map(async (name) => {
      const cluster = await localCluster(name);
      if (cluster.started) started.push(name);
      return cluster;
    }));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      // jest runs no global teardown after a failed global setup: stop what this one started.
      await Promise.allSettled(started.map((name) => down({ name, log })));
      throw failed.reason;
    }
    if (started.length > 0) process.env[STARTED_ENV] = started.join(',');
    clusters = settled.map((r) => (r as PromiseFulfilledResult<WorkerCluster & { started: boolean }>).value).map(({ name, kubeconfig }) => ({ name, kubeconfig }));
  }
  process.env['KUBECONFIG'] = clusters[0]?.kubeconfig ?? '';
  process.env[WORKERS_ENV] = JSON.stringify(clusters);
  await Promise.all(clusters.map((c) => installCrds(c.kubeconfig)));
  log(`${clusters.length === 1 ? 'cluster' : `${clusters.length} clusters`} ready for tests in ${((Date.now() - t0) / 1000).toFixed(1)}s (KUBECONFIG=${clusters.map((c) => c.kubeconfig).join(', ')})`);
}

/** The running local cluster `name`, reused (its kubelet restarted if it died) or started. */
async function localCluster(name: string): Promise<WorkerCluster & { started: boolean }> {
  const running = await runningCluster({ name });
  if (running !== undefined) {
    log(`reusing the running local cluster ${name} at ${running.server}`);
    await ensureKubeletProcess(clusterPaths(name), log);
    return { name, kubeconfig: running.kubeconfig, started: false };
  }
  const result = await up({ name, log });
  return { name, kubeconfig: result.state.kubeconfig, started: result.started };
}

export async function teardown(): Promise<void> {
  const started = (process.env[STARTED_ENV] ?? '').split(',').filter((n) => n !== '');
  if (started.length === 0) return;
  if (process.env['KAITO_TS_KEEP_CLUSTER'] === '1') {
    log(`KAITO_TS_KEEP_CLUSTER=1: leaving ${started.join(', ')} running`);
    return;
  }
  await Promise.all(started.map((name) => down({ name, log })));
  delete process.env[STARTED_ENV];
}

/** Installs crds/ (installRepoCrds) and says which. */
async function installCrds(kubeconfig: string): Promise<void> {
  const names = await installRepoCrds(loadKubeConfig(kubeconfig));
  log(names.length > 0 ? `installed CRDs: ${names.join(', ')}` : 'no crds/*.yaml to install');
}
