import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPath, manifestFiles, parseYamlObjects, waitForCrdsEstablished } from '../apply.js';
import { down, runningCluster, up } from '../cluster.js';
import { isReady, kubeClientsFor, loadKubeConfig } from '../kube.js';
import { ensureKubeletProcess } from '../kubelet/process.js';
import { clusterPaths, repoRoot } from '../paths.js';

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

/** Server-side applies every crds/*.yaml and waits until the CRDs are Established. */
async function installCrds(kubeconfig: string): Promise<void> {
  const dir = join(repoRoot(), 'crds');
  if (!existsSync(dir) || manifestFiles(dir).length === 0) {
    log('no crds/*.yaml to install');
    return;
  }
  const clients = kubeClientsFor(loadKubeConfig(kubeconfig));
  await applyPath(clients.kc, dir);
  const names = manifestFiles(dir)
    .flatMap((f) => parseYamlObjects(readFileSync(f, 'utf8')))
    .filter((o) => o.kind === 'CustomResourceDefinition')
    .map((o) => o.metadata?.name ?? '');
  await waitForCrdsEstablished(clients.apiext, names);
  log(`installed CRDs: ${names.join(', ')}`);
}
