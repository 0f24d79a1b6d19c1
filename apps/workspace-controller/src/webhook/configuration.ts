/**
 * The `ValidatingWebhookConfiguration` that makes the API server call us. In a cluster the chart
 * installs it, pointing at the webhook Service; the controller only keeps its `caBundle` equal to
 * the CA in the Secret (certs.ts). For local runs and tests (`--webhook-local-url`), there is no
 * Service: the controller writes the whole configuration itself, pointing at
 * `https://127.0.0.1:<port>`, and removes it when it stops. One code path either way: the same
 * certificates, the same caBundle, the same rules.
 */
import { defineResource, isNotFound, type KubeClient, type KubeObject } from '@kaito-ts/controller-runtime';
import { GROUP, V1ALPHA1, V1BETA1, WORKSPACE_PLURAL } from '@kaito-ts/api';
import { codedError } from '@kaito-ts/core';
import { isSubset } from '../controllers/workspace/plan.js';
import { VALIDATE_PATH } from './server.js';

export const ValidatingWebhookConfigurations = defineResource({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
});

/** The webhook's name in the configuration (Kaito's), as `kubectl apply` errors quote it. */
export const WEBHOOK_NAME = 'validation.workspace.kaito.sh';

interface ClientConfig {
  url?: string;
  service?: { name: string; namespace: string; path?: string; port?: number };
  caBundle?: string;
}
interface Webhook {
  name: string;
  clientConfig: ClientConfig;
  [k: string]: unknown;
}
interface WebhookConfiguration extends KubeObject {
  webhooks?: Webhook[];
}

export interface LocalWebhookOptions {
  /** `https://127.0.0.1:9443`: where the API server reaches this process. */
  readonly url: string;
  /** Only Workspaces in these namespaces (empty: all). */
  readonly namespaces: readonly string[];
}

/** The configuration a local run writes (a chart writes the same, with `service` for `url`). */
export function localWebhookConfiguration(name: string, caBundle: string, local: LocalWebhookOptions): WebhookConfiguration {
  return {
    apiVersion: ValidatingWebhookConfigurations.apiVersion,
    kind: ValidatingWebhookConfigurations.kind,
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'workspace-controller' } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        timeoutSeconds: 10,
        clientConfig: { url: `${local.url.replace(/\/+$/, '')}${VALIDATE_PATH}`, caBundle: Buffer.from(caBundle).toString('base64') },
        rules: [{ apiGroups: [GROUP], apiVersions: [V1ALPHA1, V1BETA1], operations: ['CREATE', 'UPDATE'], resources: [WORKSPACE_PLURAL], scope: 'Namespaced' }],
        ...(local.namespaces.length > 0 ? { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...local.namespaces] }] } } : {}),
      },
    ],
  };
}

/** `observed` with every webhook's caBundle set to `caBundle`, or undefined when nothing differs. */
export function withCaBundle(observed: WebhookConfiguration, caBundle: string): WebhookConfiguration | undefined {
  const encoded = Buffer.from(caBundle).toString('base64');
  const webhooks = observed.webhooks ?? [];
  if (webhooks.every((w) => w.clientConfig.caBundle === encoded)) return undefined;
  return { ...observed, webhooks: webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: encoded } })) };
}

export class WebhookConfigurationMissingError extends codedError('WebhookConfigurationMissing') {}

/**
 * Makes the configuration trust `caBundle`: writes it whole in local mode, else patches the
 * chart's (replace at the read resourceVersion; a Conflict throws, and the next pass retries).
 * Returns whether it wrote.
 */
export async function ensureWebhookConfiguration(client: KubeClient, name: string, caBundle: string, local?: LocalWebhookOptions): Promise<boolean> {
  const observed = (await client.find(ValidatingWebhookConfigurations, name)) as WebhookConfiguration | undefined;
  if (local !== undefined) {
    const desired = localWebhookConfiguration(name, caBundle, local);
    if (observed === undefined) {
      await client.create(ValidatingWebhookConfigurations, desired);
      return true;
    }
    // The API server fills in defaults (objectSelector, reinvocation…): compare only what we set.
    if (isSubset(desired.webhooks, observed.webhooks)) return false;
    await client.replace(ValidatingWebhookConfigurations, { ...desired, metadata: { ...desired.metadata, resourceVersion: observed.metadata.resourceVersion ?? '' } });
    return true;
  }
  if (observed === undefined) {
    throw new WebhookConfigurationMissingError(
      `ValidatingWebhookConfiguration ${name} not found: install the chart (it creates it), or run with --webhook-local-url=https://127.0.0.1:<port> to let the controller create one`,
    );
  }
  const patched = withCaBundle(observed, caBundle);
  if (patched === undefined) return false;
  await client.replace(ValidatingWebhookConfigurations, patched);
  return true;
}

/** Removes the configuration a local run wrote (never the chart's). */
export async function removeLocalWebhookConfiguration(client: KubeClient, name: string): Promise<void> {
  await client.delete(ValidatingWebhookConfigurations, { name }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}
