/**
 * The provisioner conformance suite (@kaito-ts/karpenter/testing) run against the kwok
 * provisioner on the local control plane, for NodeClaim and for Machine.
 *
 * Each API gets its own fake cloud (namespace) and a selector, so this file shares the cluster
 * with any other test. By default the provisioner runs in-process: "crash" stops it with no drain
 * (in-flight reconciles aborted mid-create, memory dropped) and a fresh one is started, as a pod
 * restart would. With KWOK_CONFORMANCE_MODE=process it runs as a separate process from
 * `dist/main.js` (build it first: `npx nx build @kaito-ts/kwok-provisioner`), killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, KubeClient, Resources, RestClient } from '@kaito-ts/controller-runtime';
import { type NodeRequestApi, NodeRequestApis } from '@kaito-ts/karpenter';
import { describeProvisionerConformance, type StartedProvisioner } from '@kaito-ts/karpenter/testing';
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
const PROCESS_MODE = process.env['KWOK_CONFORMANCE_MODE'] === 'process';
const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** Runs dist/main.js with these flags; resolves once it logged that it started. */
async function startProcess(args: string[]): Promise<StartedProvisioner> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npx nx build @kaito-ts/kwok-provisioner`);
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig() }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('kwok provisioner started')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kwok-provisioner exited with ${code ?? 'a signal'} before starting:\n${output}`)));
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kwok-provisioner did not start within 30 s:\n${output}`));
    }, 30_000).unref();
  });
  return {
    stop: async (how) => {
      child.kill(how === 'crash' ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}

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
      if (PROCESS_MODE) {
        return startProcess([
          `--api=${api}`,
          `--cloud-namespace=${namespace}`,
          '--launch-delay=3s',
          `--quota=${QUOTA_ZERO}=0`,
          `--unavailable=${STOCKED_OUT}`,
          `--selector=${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`,
          '--leader-elect=false',
          '--metrics-port=off',
          '--health-port=off',
          '--termination-poll=1s',
          '--gc-interval=10s',
          '--capacity-retry=10s',
          '--log-format=json',
          // info: the start line is how startProcess knows it is up (the output stays in memory).
          '--log-level=info',
        ]);
      }
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
