import { installRepoCrds } from '../apply.js';
import { down, runningCluster, up } from '../cluster.js';
import { isReady, loadKubeConfig } from '../kube.js';
import { ensureKubeletProcess } from '../kubelet/process.js';
import { clusterPaths } from '../paths.js';

/** Set when setup started the cluster, so teardown stops only what setup started. */
export const STARTED_ENV = 'KAITO_TS_CLUSTER_STARTED_BY_JEST';

const log = (line: string): void => {
  process.stderr.write(`[integration] ${line}\n`);
};

export async function setup(): Promise<void> {
  const t0 = Date.now();
  let kubeconfig: string;
  const external = process.env['KAITO_TS_KUBECONFIG'];
  if (external !== undefined && external !== '') {
    if (!(await isReady(loadKubeConfig(external)))) {
      throw new Error(`KAITO_TS_KUBECONFIG=${external}: the API server is not ready (/readyz); start that cluster first`);
    }
    kubeconfig = external;
    log(`using the cluster of KAITO_TS_KUBECONFIG=${external}`);
  } else {
    const running = await runningCluster();
    if (running !== undefined) {
      kubeconfig = running.kubeconfig;
      log(`reusing the running local cluster at ${running.server}`);
      await ensureKubeletProcess(clusterPaths(running.name), log);
    } else {
      const result = await up({ log });
      kubeconfig = result.state.kubeconfig;
      if (result.started) process.env[STARTED_ENV] = '1';
    }
  }
  process.env['KUBECONFIG'] = kubeconfig;
  await installCrds(kubeconfig);
  log(`cluster ready for tests in ${((Date.now() - t0) / 1000).toFixed(1)}s (KUBECONFIG=${kubeconfig})`);
}

export async function teardown(): Promise<void> {
  if (process.env[STARTED_ENV] !== '1') return;
  if (process.env['KAITO_TS_KEEP_CLUSTER'] === '1') {
    log('KAITO_TS_KEEP_CLUSTER=1: leaving the cluster running');
    return;
  }
  await down({ log });
  delete process.env[STARTED_ENV];
}

/** Installs crds/ (installRepoCrds) and says which. */
async function installCrds(kubeconfig: string): Promise<void> {
  const names = await installRepoCrds(loadKubeConfig(kubeconfig));
  log(names.length > 0 ? `installed CRDs: ${names.join(', ')}` : 'no crds/*.yaml to install');
}
