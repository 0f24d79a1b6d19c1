/**
 * The provisioner conformance suite (@kaito-ts/karpenter/testing) run against gpu-provisioner and
 * the ARM + Entra simulator on the local control plane, for NodeClaim and for Machine. The
 * provisioner runs in-process with its real Azure SDK code paths (workload identity, HTTPS, LROs);
 * only the ARM endpoint, the authority host and the CA differ from production. The simulator
 * creates a kwok fake GPU Node in the cluster for each pool it provisions.
 *
 * With GPU_CONFORMANCE_MODE=process the provisioner runs as a separate process from
 * `dist/main.js` (build it first: `npx tsc -b apps/gpu-provisioner`), given only the AZURE_* env a
 * workload-identity pod gets and NODE_EXTRA_CA_CERTS, and "crash" is SIGKILL.
 *
 * Each API gets its own simulator (its own AKS cluster) and a selector, so the two provisioners
 * never see each other's pools and this file shares the cluster with any other test. "crash"
 * stops the provisioner with no drain (in-flight reconciles aborted, memory dropped) and a fresh
 * one is started, as a pod restart would.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeNodeSink } from '@kaito-ts/arm-simulator';
import { startTestArmSimulator, TEST_CLUSTER, TEST_LOCATION, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, type TestArmSimulator } from '@kaito-ts/arm-simulator/testing';
import { createLogger, KubeClient, RestClient } from '@kaito-ts/controller-runtime';
import { NodeRequestApis } from '@kaito-ts/karpenter';
import { describeProvisionerConformance } from '@kaito-ts/karpenter/testing';
import { createArmClient } from './azure/client.js';
import { createCredential } from './azure/credentials.js';
import { KubeNodeLookup } from './azure/node-lookup.js';
import { AzureCloudProvider } from './azure/provider.js';
import { parseConfig } from './config.js';
import { startGpuProvisioner } from './provisioner.js';
import { startProvisionerProcess } from './testing/provisioner-process.js';

const run = Math.random().toString(36).slice(2, 8);
const INSTANCE_TYPE = 'Standard_NC24ads_A100_v4';
const QUOTA_ZERO = 'Standard_NC48ads_A100_v4';
const STOCKED_OUT = 'Standard_NC96ads_A100_v4';

const kubeconfig = (): string => process.env['KUBECONFIG'] ?? '';
const kubeConfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig());
  return kc;
};

const PROCESS_MODE = process.env['GPU_CONFORMANCE_MODE'] === 'process';

for (const api of NodeRequestApis) {
  const selector = { 'conformance.kaito-ts.dev/provisioner': `gpu-${api}-${run}` };
  let sim: TestArmSimulator | undefined;
  let observer: AzureCloudProvider | undefined;
  let transport: RestClient | undefined;

  const simulator = async (): Promise<TestArmSimulator> => {
    if (sim === undefined) {
      sim = await startTestArmSimulator({ nodes: new KubeNodeSink(kubeConfig().makeApiClient(CoreV1Api)), createDelayMs: 3_000, deleteDelayMs: 1_000, tickMs: 100 });
      // Persistent faults by VM size: the suite's quota and stock-out instance types.
      for (const fault of [
        { kind: 'QuotaExceeded', vmSize: QUOTA_ZERO },
        { kind: 'AllocationFailed', vmSize: STOCKED_OUT },
      ]) {
        const res = await sim.admin('POST', '/admin/faults', fault);
        if (res.status !== 201) throw new Error(`cannot add fault ${JSON.stringify(fault)}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    return sim;
  };
  afterAll(async () => {
    await transport?.close();
    await sim?.stop();
  });

  describeProvisionerConformance({
    name: 'gpu-provisioner+arm-simulator',
    api,
    instanceType: INSTANCE_TYPE,
    quotaExceededInstanceType: QUOTA_ZERO,
    insufficientCapacityInstanceType: STOCKED_OUT,
    requestLabels: selector,
    interruptibleLaunch: true,
    timeouts: { readyMs: 90_000, deleteMs: 60_000, failureMs: 30_000 },
    start: async () => {
      const s = await simulator();
      const args = [
        `--api=${api}`,
        `--subscription=${TEST_SUBSCRIPTION}`,
        `--resource-group=${TEST_RESOURCE_GROUP}`,
        `--cluster-name=${TEST_CLUSTER}`,
        `--location=${TEST_LOCATION}`,
        `--arm-endpoint=${s.url}`,
        `--kubeconfig=${kubeconfig()}`,
        `--selector=${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`,
        '--leader-elect=false',
        '--metrics-port=off',
        '--health-port=off',
        '--termination-poll=1s',
        '--gc-interval=10s',
        '--capacity-retry=10s',
        '--arm-timeout=10s',
      ];
      // info: the start line is how startProcess knows it is up (the output stays in memory).
      if (PROCESS_MODE) return startProvisionerProcess([...args, '--log-format=json', '--log-level=info'], s.env);
      const parsed = parseConfig(args, {});
      if (parsed.help) throw new Error('unexpected help');
      const running = await startGpuProvisioner(parsed.config, {
        env: s.env,
        agent: s.agent,
        logger: createLogger({ level: process.env['GPU_CONFORMANCE_LOG_LEVEL'] ?? 'error', format: 'json' }),
      });
      return { stop: (how) => running.stop({ timeoutMs: how === 'crash' ? 0 : 30_000 }) };
    },
    listInstances: async () => {
      const s = await simulator();
      if (observer === undefined) {
        const client = createArmClient(createCredential('workload-identity', s.env, { agent: s.agent }), TEST_SUBSCRIPTION, { endpoint: s.url, agent: s.agent });
        transport = new RestClient(kubeConfig(), { userAgent: 'gpu-conformance' });
        const kube = new KubeClient(transport, { fieldManager: 'gpu-conformance' });
        observer = new AzureCloudProvider({ client, resourceGroup: TEST_RESOURCE_GROUP, clusterName: TEST_CLUSTER, location: TEST_LOCATION, operationTimeoutMs: 10_000, nodes: new KubeNodeLookup(kube) });
      }
      return observer.list();
    },
  });
}
