import { KubeClient } from '@kaito-ts/controller-runtime';
import { FakeApiServer } from '@kaito-ts/controller-runtime/testing';
import { ensureWebhookConfiguration, removeLocalWebhookConfiguration, ValidatingWebhookConfigurations, WebhookConfigurationMissingError } from './configuration.js';

const NAME = 'validation.workspace.kaito.sh';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup() {
  const server = new FakeApiServer({ resources: [{ resource: ValidatingWebhookConfigurations, status: false }] });
  return { server, client: new KubeClient(server, { fieldManager: 'test' }) };
}

type Stored = { webhooks: { clientConfig: { url?: string; caBundle?: string; service?: unknown }; failurePolicy?: string; namespaceSelector?: unknown; rules?: unknown }[] };

describe('ensureWebhookConfiguration, local runs', () => {
  const local = { url: 'https://127.0.0.1:9443', namespaces: ['team-a'] };

  it('writes the whole configuration: our URL, the CA, Workspaces of both versions on CREATE and UPDATE, failurePolicy Fail', async () => {
    const { client } = setup();
    expect(await ensureWebhookConfiguration(client, NAME, 'CA1', local)).toBe(true);
    const stored = (await client.get(ValidatingWebhookConfigurations, NAME)) as unknown as Stored;
    expect(stored.webhooks).toEqual([
      expect.objectContaining({
        clientConfig: { url: 'https://127.0.0.1:9443/validate/workspace.kaito.sh', caBundle: b64('CA1') },
        failurePolicy: 'Fail',
        rules: [{ apiGroups: ['kaito.sh'], apiVersions: ['v1alpha1', 'v1beta1'], operations: ['CREATE', 'UPDATE'], resources: ['workspaces'], scope: 'Namespaced' }],
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-a'] }] },
      }),
    ]);
  });

  it('writes nothing when it is current, and replaces it for a new CA', async () => {
    const { server, client } = setup();
    await ensureWebhookConfiguration(client, NAME, 'CA1', local);
    expect(await ensureWebhookConfiguration(client, NAME, 'CA1', local)).toBe(false);
    expect(server.writes({ path: 'validatingwebhookconfigurations' })).toHaveLength(1);
    expect(await ensureWebhookConfiguration(client, NAME, 'CA2', local)).toBe(true);
    const stored = (await client.get(ValidatingWebhookConfigurations, NAME)) as unknown as Stored;
    expect(stored.webhooks[0]?.clientConfig.caBundle).toBe(b64('CA2'));
  });

  it('is removed at stop, and removing twice is fine', async () => {
    const { client } = setup();
    await ensureWebhookConfiguration(client, NAME, 'CA1', local);
    await removeLocalWebhookConfiguration(client, NAME);
    await removeLocalWebhookConfiguration(client, NAME);
    expect(await client.find(ValidatingWebhookConfigurations, NAME)).toBeUndefined();
  });
});

describe("ensureWebhookConfiguration, the chart's", () => {
  const chart = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: NAME },
    webhooks: [{ name: NAME, clientConfig: { service: { name: 'workspace-controller-webhook', namespace: 'kaito-system', path: '/validate/workspace.kaito.sh' } }, failurePolicy: 'Fail' }],
  };

  it('sets only the caBundle, keeping the Service and everything else', async () => {
    const { client } = setup();
    await client.create(ValidatingWebhookConfigurations, chart);
    expect(await ensureWebhookConfiguration(client, NAME, 'CA1')).toBe(true);
    const stored = (await client.get(ValidatingWebhookConfigurations, NAME)) as unknown as Stored;
    expect(stored.webhooks).toEqual([{ name: NAME, clientConfig: { ...chart.webhooks[0]?.clientConfig, caBundle: b64('CA1') }, failurePolicy: 'Fail' }]);
    expect(await ensureWebhookConfiguration(client, NAME, 'CA1')).toBe(false);
  });

  it('says how to get one when it is missing', async () => {
    const { client } = setup();
    await expect(ensureWebhookConfiguration(client, NAME, 'CA1')).rejects.toThrow(WebhookConfigurationMissingError);
    await expect(ensureWebhookConfiguration(client, NAME, 'CA1')).rejects.toThrow('install the chart (it creates it), or run with --webhook-local-url');
  });
});
