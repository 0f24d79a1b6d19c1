/**
 * One controller process for the leader-election integration test: a Manager with Lease-based
 * leader election and a controller that logs each ConfigMap key it reconciles. JSON logs go to
 * stdout; the test reads them. Run: `tsx manager-process.ts` with KUBECONFIG, IDENTITY, NAMESPACE
 * and LABEL set. Exits 1 when it loses the lease, 0 after SIGTERM.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { keyOf } from '../api/object.js';
import { Resources } from '../api/resource.js';
import { watch } from '../controller/watches.js';
import { LeaderElectionLostError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { Manager } from '../manager/manager.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return v;
};

const identity = env('IDENTITY');
const namespace = env('NAMESPACE');
const label = env('LABEL');
const kc = new KubeConfig();
kc.loadFromFile(env('KUBECONFIG'));
const logger = createLogger({ format: 'json', defaultMeta: { identity } });

const mgr = new Manager({
  kubeConfig: kc,
  logger,
  name: 'le-test',
  metricsPort: false,
  healthPort: false,
  leaderElection: {
    leaseName: 'le-test',
    leaseNamespace: namespace,
    identity,
    leaseDurationMs: Number(process.env['LEASE_DURATION_MS'] ?? 5000),
    renewDeadlineMs: Number(process.env['RENEW_DEADLINE_MS'] ?? 3000),
    retryPeriodMs: Number(process.env['RETRY_PERIOD_MS'] ?? 1000),
  },
});
mgr.add({
  name: 'recorder',
  watches: [watch(Resources.ConfigMap, { mapToKeys: (o) => (o.metadata.namespace === namespace && o.metadata.labels?.[label] ? [keyOf(o)] : []) })],
  reconcile: async (key, ctx) => {
    ctx.log.info('reconciled', { key });
    return {};
  },
});

mgr.start({ handleSignals: true }).then(
  () => process.exit(0),
  (err: unknown) => {
    logger.error('manager failed', { err });
    process.exit(err instanceof LeaderElectionLostError ? 1 : 3);
  },
);
