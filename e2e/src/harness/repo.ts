/**
 * Where the e2e run finds the repository, the cluster and its log folder. Jest's global setup
 * (tools/cluster's, shared with the integration tier) has started or reused the local cluster and
 * put its kubeconfig in KUBECONFIG.
 */
import { join } from 'node:path';
import { repoRoot } from '@kaito-ts/cluster';

/** The repository root (tools/cluster's answer, which works from jest, tsx and dist alike). */
export { repoRoot };

/** The cluster's kubeconfig, as global setup left it. */
export function kubeconfigPath(): string {
  const path = process.env['KUBECONFIG'];
  if (path === undefined || path === '') throw new Error('KUBECONFIG is not set: run the e2e tier with jest -c e2e/jest.e2e.config.cjs');
  return path;
}

/**
 * This run's log folder: `$KAITO_TS_E2E_LOGS`, set by the jest config (test-results/e2e-logs/<run>),
 * kept by the reporter when a test failed, removed when all passed.
 */
export function logDir(): string {
  return process.env['KAITO_TS_E2E_LOGS'] ?? join(repoRoot(), 'test-results', 'e2e-logs', 'manual');
}

/** A short random suffix, so names from two runs (or two files) never collide. */
export function runId(): string {
  return Math.random().toString(36).slice(2, 8);
}
