/**
 * The provisioner conformance suite (@kaito-ts/karpenter/testing) run against the kwok
 * provisioner on the local control plane, for NodeClaim and for Machine.
 *
 * Each API gets its own fake cloud (namespace) and a selector, so this file shares the cluster
 * with any other test. "crash" stops the provisioner with no drain: in-flight reconciles are
 * aborted mid-create, its memory is dropped, and a fresh provisioner is started — as a SIGKILL and
 * a pod restart would.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, KubeClient, Resources, RestClient } from '@kaito-ts/controller-runtime';
import { type NodeRequestApi, NodeRequestApis } from '@kaito-ts/karpenter';
import { describeProvisionerConformance } from '@kaito-ts/karpenter/testing';
import { defaultConfig } from './config.js';
import { KwokCloudProvider } from './kwok-cloud.js';
import { startKwokProvisioner } from './provisioner.js';

const run = Math.random().toString(36).slice(2, 8);
const INSTANCE_TYPE = 'Standard_NC24ads_A100_v4';
const QUOTA_ZERO = 'Standard_NC48ads_A100_v4';
const STOCKED_OUT = 'Standard_NC96ads_A100_v4';

const kubeconfig = (): string => process.env['KUBECONFIG'] ?? '';

function clients(): { kube: KubeClient; transport: RestClient } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig());
  const transport = new RestClient(kc, { userAgent: 'kwok-conformance' });
  return { kube: new KubeClient(transport, { fieldManager: 'kwok-conformance' }), transport };
}

const cloudNamespace = (api: NodeRequestApi) => `kwok-conf-${api}-${run}`;

afterAll(async () => {
  const { kube, transport } = clients();
  for (const api of NodeRequestApis) await kube.delete(Resources.Namespace, { name: cloudNamespace(api) });
  await transport.close();
});

for (const api of NodeRequestApis) {
  const namespace = cloudNamespace(api);
  const selector = { 'conformance.kaito-ts.dev/provisioner': `kwok-${api}-${run}` };
  let observer: { provider: KwokCloudProvider; transport: RestClient } | undefined;
  const observe = () => {
    if (observer === undefined) {
      const { kube, transport } = clients();
      observer = { provider: new KwokCloudProvider({ kube, namespace, launchDelayMs: 0 }), transport };
    }
    return observer.provider;
  };
  afterAll(async () => {
    await observer?.transport.close();
  });

  describeProvisionerConformance({
    name: 'kwok',
    api,
    instanceType: INSTANCE_TYPE,
    quotaExceededInstanceType: QUOTA_ZERO,
    insufficientCapacityInstanceType: STOCKED_OUT,
    requestLabels: selector,
    interruptibleLaunch: true,
    timeouts: { readyMs: 60_000, deleteMs: 45_000, failureMs: 30_000 },
    start: async () => {
      const running = await startKwokProvisioner(
        defaultConfig(api, {
          kubeconfig: kubeconfig(),
          cloudNamespace: namespace,
          launchDelayMs: 3_000,
          quotas: { [QUOTA_ZERO]: 0 },
          unavailable: [STOCKED_OUT],
          selector,
          leaderElect: false,
          metricsPort: false,
          healthPort: false,
          terminationPollMs: 1_000,
          gcIntervalMs: 10_000,
          capacityRetryMs: 10_000,
        }),
        { logger: createLogger({ level: process.env['KWOK_CONFORMANCE_LOG_LEVEL'] ?? 'error', format: 'json' }) },
      );
      return { stop: (how) => running.stop({ timeoutMs: how === 'crash' ? 0 : 30_000 }) };
    },
    listInstances: () => observe().list(),
  });
}
