/**
 * The workspace-controller process without its CLI: settings → logger, Manager (leader election,
 * /metrics, /healthz, /readyz), fail-fast CRD checks, the Workspace controller. `main.ts` calls it
 * with `handleSignals` (SIGTERM drains in-flight reconciles); tests run it in process.
 */
import { codedError } from '@kaito-ts/core';
import {
  createLogger,
  isAlreadyExists,
  isNotFound,
  KubeEventRecorder,
  type KubeConfigLike,
  loadKubeConfig,
  type Logger,
  Manager,
  type ManagerOptions,
  resourceId,
  Resources,
  type ResourceType,
  RestClient,
} from '@kaito-ts/controller-runtime';
import { nodeRequestResource } from '@kaito-ts/karpenter';
import { Labels } from '@kaito-ts/api';
import { tuningController } from './controllers/tuning/controller.js';
import { workspaceController } from './controllers/workspace/controller.js';
import { Workspaces } from './controllers/workspace/resources.js';
import type { WorkspaceControllerSettings } from './settings.js';
import { type RunningWebhook, startWebhook } from './webhook/webhook.js';

export class StartupError extends codedError('StartupFailed') {}

export interface RunningWorkspaceController {
  readonly manager: Manager;
  /** The admission webhook, when `settings.webhook` is on. */
  readonly webhook?: RunningWebhook;
  /** Resolves when the manager has stopped; rejects if it failed (e.g. lost its lease). */
  readonly done: Promise<void>;
  /** Drain in-flight reconciles for up to `timeoutMs` (0: abort at once, as a crash would), then shut down. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Default: `loadKubeConfig(<kubeconfig setting>)`; tests may pass client-node's `KubeConfig`. */
  readonly kubeConfig?: KubeConfigLike;
  /** Stop on SIGTERM/SIGINT (the CLI). Default false. */
  readonly handleSignals?: boolean;
}

/**
 * Narrower caches: inference pods by their label (a cluster's other pods are most of its objects),
 * and with exactly one watched namespace, every namespaced resource to it.
 */
function cacheSelectors(settings: WorkspaceControllerSettings): NonNullable<ManagerOptions['cacheSelectors']> {
  const only = settings.namespaces.length === 1 ? settings.namespaces[0] : undefined;
  const ns = only !== undefined ? { namespace: only } : {};
  return {
    [resourceId(Resources.Pod)]: { labelSelector: Labels.workspace, ...ns },
    // tuning: the Jobs and progress ConfigMaps the controller made (both carry the label)
    [resourceId(Resources.Job)]: { labelSelector: Labels.workspace, ...ns },
    [resourceId(Resources.ConfigMap)]: { labelSelector: Labels.workspace, ...ns },
    ...(only !== undefined ? { [resourceId(Workspaces)]: ns, [resourceId(Resources.StatefulSet)]: ns, [resourceId(Resources.Service)]: ns } : {}),
  };
}

async function requireCrd(manager: Manager, resource: ResourceType, crdFile: string): Promise<void> {
  try {
    await manager.client.list(resource, {});
  } catch (err) {
    if (isNotFound(err)) throw new StartupError(`the ${resource.kind} CRD (${resource.apiVersion}) is not installed: kubectl apply -f crds/${crdFile}`, { cause: err });
    throw new StartupError(`cannot reach the API server: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export async function startWorkspaceController(settings: WorkspaceControllerSettings, options: StartOptions = {}): Promise<RunningWorkspaceController> {
  const logger = options.logger ?? createLogger({ level: settings.logLevel, format: settings.logFormat, defaultMeta: { component: 'workspace-controller' } });
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(settings.kubeconfig);
  const manager = new Manager({
    kubeConfig,
    logger,
    name: 'workspace-controller',
    metricsPort: settings.metricsPort,
    healthPort: settings.healthPort,
    leaderElection: settings.leaderElect ? { leaseName: settings.leaseName, leaseNamespace: settings.leaseNamespace } : false,
    cacheSelectors: cacheSelectors(settings),
    client: { qps: settings.kubeApiQps, burst: settings.kubeApiBurst },
  });

  // Fail fast, in one line, when the cluster lacks what this controller needs.
  await requireCrd(manager, Workspaces as unknown as ResourceType, 'workspaces.kaito.sh.yaml');
  const requests = nodeRequestResource(settings.nodeApi);
  await requireCrd(manager, requests as unknown as ResourceType, `${requests.plural}.karpenter.sh.yaml`);
  // Create the Lease's namespace only when it is missing: the chart grants `get` on its own
  // namespace, never `create` on namespaces (charts/workspace-controller/README.md, RBAC).
  if (settings.leaderElect && (await manager.client.find(Resources.Namespace, settings.leaseNamespace)) === undefined) {
    await manager.client
      .create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: settings.leaseNamespace } })
      .catch((err: unknown) => {
        if (!isAlreadyExists(err)) throw err;
      });
  }

  // Events get a client and rate limit of their own, as client-go's event broadcaster does: a
  // burst's Events (several per Workspace) must not hold back the node requests and workloads the
  // reconciles create. Measured with `npm run bench -- workspaces` (tools/bench/README.md).
  const eventsTransport = new RestClient(kubeConfig, { qps: settings.kubeApiQps, burst: settings.kubeApiBurst, metrics: manager.metrics, userAgent: 'workspace-controller-events' });
  const events = new KubeEventRecorder(eventsTransport, { component: 'workspace-controller', instance: manager.identity, logger, metrics: manager.metrics });
  manager.add(
    workspaceController(manager, {
      api: settings.nodeApi,
      events,
      concurrency: settings.concurrency,
      namespaces: settings.namespaces,
      provisioning: settings.provisioning,
      ...(settings.adapterPullerImage !== undefined ? { pullerImage: settings.adapterPullerImage } : {}),
      ...(settings.registry !== undefined ? { registry: settings.registry } : {}),
      podAnnotations: settings.inferencePodAnnotations,
    }),
  );
  manager.add(
    tuningController(manager, {
      api: settings.nodeApi,
      concurrency: settings.concurrency,
      namespaces: settings.namespaces,
      keepNodes: settings.tuningKeepNodes,
      allowLoopbackInputs: settings.tuningAllowLoopbackInputs,
      preflightRecheckMs: settings.tuningPreflightRecheckMs,
      job: {
        ...(settings.tuningImage !== undefined ? { image: settings.tuningImage } : {}),
        ...(settings.registry !== undefined ? { registry: settings.registry } : {}),
        dataPullerImage: settings.tuningDataPullerImage,
        backoffLimit: settings.tuningBackoffLimit,
        ...(settings.tuningActiveDeadlineMs > 0 ? { activeDeadlineSeconds: Math.ceil(settings.tuningActiveDeadlineMs / 1000) } : {}),
        insecureRegistries: settings.tuningInsecureRegistries,
        podAnnotations: settings.tuningPodAnnotations,
      },
    }),
  );
  // Every replica serves the webhook (leader or not), with the certificate all of them share.
  const webhook = settings.webhook
    ? await startWebhook(
        manager,
        {
          port: settings.webhookPort,
          serviceName: settings.webhookServiceName,
          serviceNamespace: settings.webhookServiceNamespace,
          secretName: settings.webhookSecretName,
          configurationName: settings.webhookConfigurationName,
          namespaces: settings.namespaces,
          ...(settings.webhookLocalUrl !== undefined ? { localUrl: settings.webhookLocalUrl } : {}),
          policy: { allowLoopbackInputs: settings.tuningAllowLoopbackInputs },
        },
        logger,
      )
    : undefined;
  // The server closes with the manager however it stops (SIGTERM, a lost lease, stop()); queued Events are flushed.
  const done = manager.start({ handleSignals: options.handleSignals ?? false }).finally(async () => {
    await webhook?.stop().catch((err: unknown) => logger.warn('webhook did not stop cleanly', { error: err instanceof Error ? err.message : String(err) }));
    await events.flush();
    await eventsTransport.close();
  });
  logger.info('workspace controller started', { nodeApi: settings.nodeApi, provisioning: settings.provisioning, namespaces: settings.namespaces, leaderElect: settings.leaderElect, webhook: webhook?.url ?? false });
  return {
    manager,
    ...(webhook !== undefined ? { webhook } : {}),
    done,
    async stop(stopOptions = {}) {
      await manager.stop(stopOptions);
      await done.catch(() => undefined);
    },
  };
}
