/**
 * The kwok provisioner: the shared lifecycle and GC controllers (`@kaito-ts/karpenter`) on a
 * controller-runtime Manager, with the kwok CloudProvider. This file is the whole provisioner; the
 * CloudProvider is the only kwok-specific part — the point of the swap-in design.
 */
import { codedError } from '@kaito-ts/core';
import { createLogger, isAlreadyExists, isNotFound, type KubeConfigLike, loadKubeConfig, type Logger, Manager, Resources } from '@kaito-ts/controller-runtime';
import { addProvisioner, nodeRequestResource, type NodeRequest, type Provisioner } from '@kaito-ts/karpenter';
import type { KwokProvisionerConfig } from './config.js';
import { KwokCloudProvider } from './kwok-cloud.js';

export interface RunningKwokProvisioner {
  readonly manager: Manager;
  readonly provider: KwokCloudProvider;
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
}

export class StartupError extends codedError('StartupFailed') {}

/** Whether a request's labels match the selector. */
export function matchesSelector(selector: Readonly<Record<string, string>>): (r: NodeRequest) => boolean {
  const entries = Object.entries(selector);
  return (r) => entries.every(([k, v]) => r.metadata.labels?.[k] === v);
}

export async function startKwokProvisioner(config: KwokProvisionerConfig, options: StartOptions = {}): Promise<RunningKwokProvisioner> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, defaultMeta: { component: 'kwok-provisioner' } });
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const manager = new Manager({
    kubeConfig,
    logger,
    name: 'kwok-provisioner',
    metricsPort: config.metricsPort,
    healthPort: config.healthPort,
    leaderElection: config.leaderElect ? { leaseName: config.leaseName, leaseNamespace: config.cloudNamespace } : false,
  });

  // Fail fast, in one line, when the cluster lacks what this provisioner needs.
  const resource = nodeRequestResource(config.api);
  try {
    await manager.client.list(resource, {});
  } catch (err) {
    if (isNotFound(err)) {
      throw new StartupError(`the ${resource.kind} CRD (${resource.apiVersion}) is not installed: kubectl apply -f crds/${resource.plural}.karpenter.sh.yaml`, { cause: err });
    }
    throw new StartupError(`cannot reach the API server: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // Create the namespace only when it is missing: the chart grants `get` on its own namespace,
  // never `create` on namespaces (charts/kwok-provisioner/README.md, RBAC).
  if ((await manager.client.find(Resources.Namespace, config.cloudNamespace)) === undefined) {
    await manager.client
      .create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: config.cloudNamespace } })
      .catch((err: unknown) => {
        if (!isAlreadyExists(err)) throw err;
      });
  }

  const provider = new KwokCloudProvider({
    kube: manager.client,
    namespace: config.cloudNamespace,
    launchDelayMs: config.launchDelayMs,
    deleteDelayMs: config.deleteDelayMs,
    quotas: config.quotas,
    unavailable: config.unavailable,
    logger: logger.child({ provider: 'kwok' }),
  });
  const managed = matchesSelector(config.selector);
  const provisioner = addProvisioner(manager, {
    api: config.api,
    provider,
    concurrency: config.concurrency,
    ...(Object.keys(config.selector).length > 0 ? { isManaged: managed } : {}),
    lifecycle: {
      launchTimeoutMs: config.launchTimeoutMs,
      registrationTimeoutMs: config.registrationTimeoutMs,
      capacityRetry: { initialMs: config.capacityRetryMs, maxMs: Math.max(config.capacityRetryMs, 10 * 60_000) },
      terminationPollMs: config.terminationPollMs,
    },
    gc: { intervalMs: config.gcIntervalMs },
  });
  const done = manager.start({ handleSignals: options.handleSignals ?? false });
  logger.info('kwok provisioner started', {
    api: config.api,
    cloudNamespace: config.cloudNamespace,
    launchDelayMs: config.launchDelayMs,
    quotas: config.quotas,
    unavailable: config.unavailable,
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
