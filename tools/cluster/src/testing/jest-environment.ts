// Jest test environment of the integration and e2e tiers: jest's node environment, pointed at the
// worker's own cluster. Global setup (../jest/setup.ts) starts one cluster per jest worker and lists
// them in KAITO_TS_WORKER_CLUSTERS; here, in the worker, before the test file's sandbox exists,
// KUBECONFIG and KAITO_TS_CLUSTER are set to the cluster of this worker (JEST_WORKER_ID). It is
// set on the worker's real process.env, not only in the sandbox's copy of it, so the processes a
// test starts without an explicit env (controllers, provisioners, kubectl) talk to the same cluster.
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';

/** Must equal WORKERS_ENV in ../jest/setup.ts: jest loads this file in each worker, outside the module mapping and the `.js` → `.ts` resolver fallback global setup installs in its own process. */
const WORKERS_ENV = 'KAITO_TS_WORKER_CLUSTERS';

export function pointAtWorkerCluster(env: NodeJS.ProcessEnv): void {
  const raw = env[WORKERS_ENV];
  if (raw === undefined || raw === '') return;
  const clusters = JSON.parse(raw) as { name: string; kubeconfig: string }[];
  const id = Number(env['JEST_WORKER_ID'] ?? '1');
  // JEST_WORKER_ID counts from 1 up to maxWorkers, which is how many clusters setup started.
  const mine = clusters[(Number.isInteger(id) && id > 0 ? id - 1 : 0) % clusters.length];
  if (mine === undefined) return;
  env['KUBECONFIG'] = mine.kubeconfig;
  env['KAITO_TS_CLUSTER'] = mine.name;
}

export default class WorkerClusterEnvironment extends NodeEnvironment {
  constructor(...args: ConstructorParameters<typeof NodeEnvironment>) {
    pointAtWorkerCluster(process.env);
    super(...args);
  }
}
