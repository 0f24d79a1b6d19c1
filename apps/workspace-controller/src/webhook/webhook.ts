/**
 * The webhook in the controller process: certificates from the Secret, the configuration's
 * caBundle, the HTTPS server, a readiness check, and a periodic pass (every replica, not only the
 * leader: all of them serve) that renews certificates near expiry, swaps them into the server and
 * re-asserts the caBundle.
 */
import { isAlreadyExists, type Logger, type Manager, Resources } from '@kaito-ts/controller-runtime';
import { type Node, NodeResource } from '@kaito-ts/karpenter';
import { reviewWorkspace } from './admission.js';
import { ensureCertificates, serviceDnsNames, type WebhookCertificates } from './certs.js';
import { ensureWebhookConfiguration, removeLocalWebhookConfiguration } from './configuration.js';
import { startWebhookServer } from './server.js';
import type { AdmissionPolicy, ConfigMapData } from './types.js';

export interface WebhookOptions {
  readonly port: number;
  readonly serviceName: string;
  readonly serviceNamespace: string;
  readonly secretName: string;
  readonly configurationName: string;
  /** Local runs and tests: write the configuration with this URL (`https://127.0.0.1:9443`). */
  readonly localUrl?: string;
  /** Namespaces the controller serves (local configuration only; empty: all). */
  readonly namespaces: readonly string[];
  /** How often certificates and the caBundle are checked. Default 10 minutes. */
  readonly checkIntervalMs?: number;
  /** Operator settings the rules honour (see AdmissionPolicy). */
  readonly policy?: AdmissionPolicy;
}

export interface RunningWebhook {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startWebhook(manager: Manager, o: WebhookOptions, logger: Logger): Promise<RunningWebhook> {
  const log = logger.child({ subsystem: 'webhook' });
  const client = manager.client;
  // Created only when missing: the chart grants `get` on its own namespace, never `create` on
  // namespaces, and the API server refuses a create it does not authorize before it finds the
  // namespace exists (charts/workspace-controller/README.md, RBAC).
  if ((await client.find(Resources.Namespace, o.serviceNamespace)) === undefined) {
    await client
      .create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.serviceNamespace } })
      .catch((err: unknown) => {
        if (!isAlreadyExists(err)) throw err;
      });
  }
  const certOptions = {
    client,
    secretName: o.secretName,
    namespace: o.serviceNamespace,
    dnsNames: serviceDnsNames(o.serviceName, o.serviceNamespace),
    ipAddresses: ['127.0.0.1'],
    onRenewed: (why: string) => log.info('wrote new webhook certificates', { secret: `${o.serviceNamespace}/${o.secretName}`, why }),
  };
  let certificates: WebhookCertificates = await ensureCertificates(certOptions);
  const local = o.localUrl !== undefined ? { url: o.localUrl, namespaces: o.namespaces } : undefined;
  let trusted = false;
  const configure = async (): Promise<void> => {
    if (await ensureWebhookConfiguration(client, o.configurationName, certificates.caBundle, local)) {
      log.info('webhook configuration trusts the current CA', { configuration: o.configurationName, ...(local !== undefined ? { url: local.url } : {}) });
    }
    trusted = true;
  };

  const nodes = manager.informer(NodeResource);
  const server = await startWebhookServer({
    port: o.port,
    certificates,
    logger: log,
    review: (body) =>
      reviewWorkspace(body, {
        // Until the cache has synced, one list answers (a BYO check must not see "no nodes" at start-up).
        nodes: async (): Promise<readonly Node[]> => (nodes.hasSynced ? nodes.list() : client.list(NodeResource)),
        configMap: async (namespace, name): Promise<ConfigMapData | null> => {
          const cm = (await client.find(Resources.ConfigMap, name, namespace)) as { data?: Record<string, string> } | undefined;
          return cm === undefined ? null : (cm.data ?? {});
        },
        ...(o.policy !== undefined ? { policy: o.policy } : {}),
      }),
  });
  await configure().catch((err: unknown) => log.error('cannot configure the webhook; retrying', { error: err instanceof Error ? err.message : String(err) }));

  manager.addReadyCheck('webhook', () => {
    if (!trusted) throw new Error(`the webhook configuration ${o.configurationName} does not trust this server's CA yet`);
  });
  manager.addPeriodic({
    name: 'webhook.certificates',
    needLeaderElection: false,
    intervalMs: o.checkIntervalMs ?? 10 * 60 * 1000,
    run: async () => {
      const next = await ensureCertificates(certOptions);
      if (next.certPem !== certificates.certPem) {
        server.setCertificates(next);
        log.info('serving new webhook certificate', { notAfter: next.notAfter.toISOString() });
      }
      certificates = next;
      await configure();
    },
  });
  log.info('webhook serving', { url: server.url, configuration: o.configurationName, notAfter: certificates.notAfter.toISOString() });
  return {
    url: server.url,
    port: server.port,
    async stop() {
      await server.close();
      if (local !== undefined) await removeLocalWebhookConfiguration(client, o.configurationName);
    },
  };
}
