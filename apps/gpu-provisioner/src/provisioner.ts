/**
 * gpu-provisioner: the shared lifecycle and GC controllers (`@kaito-ts/karpenter`) on a
 * controller-runtime Manager, with the Azure CloudProvider. Everything Azure-specific is in azure/.
 */
import type { Agent } from 'node:https';
import { codedError } from '@kaito-ts/core';
import { createLogger, isNotFound, type KubeConfigLike, loadKubeConfig, type Logger, Manager } from '@kaito-ts/controller-runtime';
import { addProvisioner, DEFAULT_LIFECYCLE_OPTIONS, nodeRequestResource, type NodeRequest, type Provisioner } from '@kaito-ts/karpenter';
import { createArmClient } from './azure/client.js';
import { createCredential } from './azure/credentials.js';
import { KubeNodeLookup } from './azure/node-lookup.js';
import { AzureCloudProvider } from './azure/provider.js';
import type { GpuProvisionerConfig } from './config.js';

export interface RunningGpuProvisioner {
  readonly manager: Manager;
  readonly provider: AzureCloudProvider;
  readonly provisioner: Provisioner;
  /** Resolves when the manager has stopped; rejects if it failed (e.g. lost its lease). */
  readonly done: Promise<void>;
  /** Stop: drain in-flight reconciles for up to `timeoutMs` (0: abort them at once, as a crash would), then shut down. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Default: `loadKubeConfig(<kubeconfig setting>)`; tests may pass client-node's `KubeConfig`. */
  readonly kubeConfig?: KubeConfigLike;
  /** Stop on SIGTERM/SIGINT (the CLI). Default false. */
  readonly handleSignals?: boolean;
  /** Environment for the credential (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** An https Agent for ARM and Entra (tests: one trusting the simulator's CA). */
  readonly agent?: Agent;
}

export class StartupError extends codedError('StartupFailed') {}

/** Whether a request's labels match the selector. */
export function matchesSelector(selector: Readonly<Record<string, string>>): (r: NodeRequest) => boolean {
  const entries = Object.entries(selector);
  return (r) => entries.every(([k, v]) => r.metadata.labels?.[k] === v);
}

export async function startGpuProvisioner(config: GpuProvisionerConfig, options: StartOptions = {}): Promise<RunningGpuProvisioner> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, defaultMeta: { component: 'gpu-provisioner' } });
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const manager = new Manager({
    kubeConfig,
    logger,
    name: 'gpu-provisioner',
    metricsPort: config.metricsPort,
    healthPort: config.healthPort,
    leaderElection: config.leaderElect ? { leaseName: config.leaseName, leaseNamespace: config.leaseNamespace } : false,
    client: { qps: config.kubeQps, burst: config.kubeBurst },
  });

  // Fail fast, in one line, when the cluster lacks what this provisioner needs. ARM is not called
  // here: a credential or ARM problem shows on the claims and in the log, and heals without a restart.
  const resource = nodeRequestResource(config.api);
  try {
    await manager.client.list(resource, {});
  } catch (err) {
    if (isNotFound(err)) {
      throw new StartupError(`the ${resource.kind} CRD (${resource.apiVersion}) is not installed: kubectl apply -f crds/${resource.plural}.karpenter.sh.yaml`, { cause: err });
    }
    throw new StartupError(`cannot reach the API server: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const agentOption = options.agent !== undefined ? { agent: options.agent } : {};
  const credential = createCredential(config.credential, options.env ?? process.env, agentOption);
  const client = createArmClient(credential, config.subscriptionId, { endpoint: config.armEndpoint, userAgent: config.userAgent, ...agentOption });
  const provider = new AzureCloudProvider({
    client,
    resourceGroup: config.resourceGroup,
    clusterName: config.clusterName,
    location: config.location,
    nodes: new KubeNodeLookup(manager.client),
    operationTimeoutMs: config.armTimeoutMs,
    logger: logger.child({ provider: 'azure' }),
  });
  const provisioner = addProvisioner(manager, {
    api: config.api,
    provider,
    concurrency: config.concurrency,
    ...(Object.keys(config.selector).length > 0 ? { isManaged: matchesSelector(config.selector) } : {}),
    lifecycle: {
      launchTimeoutMs: config.launchTimeoutMs,
      registrationTimeoutMs: config.registrationTimeoutMs,
      capacityRetry: { initialMs: config.capacityRetryMs, maxMs: Math.max(config.capacityRetryMs, 10 * 60_000) },
      transientRetry: { initialMs: config.transientRetryMs, maxMs: Math.max(config.transientRetryMs, DEFAULT_LIFECYCLE_OPTIONS.transientRetry.maxMs) },
      terminationPollMs: config.terminationPollMs,
    },
    gc: { intervalMs: config.gcIntervalMs },
  });
  const done = manager.start({ handleSignals: options.handleSignals ?? false });
  logger.info('gpu provisioner started', {
    api: config.api,
    subscriptionId: config.subscriptionId,
    resourceGroup: config.resourceGroup,
    clusterName: config.clusterName,
    location: config.location,
    armEndpoint: config.armEndpoint,
    credential: config.credential,
    selector: config.selector,
  });
  return {
    manager,
    provider,
    provisioner,
    done,
    async stop(stopOptions = {}) {
      await manager.stop(stopOptions);
      await done.catch(() => undefined);
    },
  };
}
