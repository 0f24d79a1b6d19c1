/**
 * The admission webhook on the local control plane: the real kube-apiserver calls the controller's
 * webhook at https://127.0.0.1:<port> (the configuration the controller writes in local mode, with
 * the CA it made and stored in a Secret), for both API versions, on CREATE and UPDATE; and what
 * the real `kubectl apply` prints for a refusal.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION_V1ALPHA1, type Workspace, WORKSPACE_FINALIZER } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { defineResource, KubeClient, Resources, RestClient } from '@kaito-ts/controller-runtime';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { eventually } from '@kaito-ts/core/testing';
import { useNamespace } from '@kaito-ts/cluster/testing';
import { Workspaces } from '../controllers/workspace/resources.js';
import { defaultSettings } from '../settings.js';
import { type RunningWorkspaceController, startWorkspaceController } from '../start.js';
import { ValidatingWebhookConfigurations } from './configuration.js';

/** The v1alpha1 endpoint (the controller's own resource is the storage version, v1beta1). */
const WorkspacesV1alpha1 = defineResource<Workspace>({ ...Workspaces, apiVersion: API_VERSION_V1ALPHA1 });
const run = Math.random().toString(36).slice(2, 8);
const CONFIGURATION = `validation-int-${run}.workspace.kaito.sh`;
const SECRET_NAMESPACE = `webhook-int-${run}`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Workspace as a user writes it (no uid, generation). */
function workspace(ns: string, name: string, overrides: Partial<Workspace> = {}): Workspace {
  const ws = makeInferenceWorkspace({ metadata: { name, namespace: ns } });
  const { uid: _uid, generation: _generation, ...metadata } = ws.metadata;
  return { ...ws, metadata, inference: { preset: { name: 'phi-3-mini-4k-instruct' } }, ...overrides };
}

const misfit = (ns: string, name: string, apiVersion: Workspace['apiVersion'] = 'kaito.sh/v1beta1'): Workspace => ({
  ...workspace(ns, name),
  apiVersion,
  inference: { preset: { name: 'phi-3-medium-128k-instruct' } },
});

/** The SHA-256 fingerprint of the certificate served on 127.0.0.1:port, verified against `ca`. */
function servedCertificate(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

async function refusal(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected the API server to refuse the request');
}

describe('the admission webhook, called by the real API server', () => {
  const ns = useNamespace('webhook');
  let kubeconfigPath: string;
  let kube: KubeClient;
  let transport: RestClient;
  let controller: RunningWorkspaceController | undefined;

  beforeAll(async () => {
    kubeconfigPath = process.env['KUBECONFIG'] ?? '';
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    transport = new RestClient(kc, { userAgent: 'webhook-int' });
    kube = new KubeClient(transport, { fieldManager: 'webhook-int' });
    const port = await freePort();
    controller = await startWorkspaceController(
      defaultSettings({
        leaderElect: false,
        metricsPort: false,
        healthPort: 0,
        namespaces: [ns.name],
        webhook: true,
        webhookPort: port,
        webhookServiceNamespace: SECRET_NAMESPACE,
        webhookConfigurationName: CONFIGURATION,
        webhookLocalUrl: `https://127.0.0.1:${port}`,
      }),
      { kubeConfig: kc, logger: silentLogger() },
    );
    // The API server picks a new configuration up within a second or so: wait until it refuses.
    await eventually(async () => (await refusal(kube.create(Workspaces, misfit(ns.name, 'probe')))).includes('denied the request'), {
      timeoutMs: 30_000,
      description: 'the API server to call the webhook',
    });
  }, 120_000);

  afterAll(async () => {
    await controller?.stop({ timeoutMs: 5_000 });
    await kube.delete(Resources.Namespace, { name: SECRET_NAMESPACE });
    await transport.close();
  });

  it('stored the CA and serving certificate in a Secret and trusts that CA in the configuration', async () => {
    const secret = (await kube.get(Resources.Secret, 'workspace-webhook-cert', SECRET_NAMESPACE)) as { data?: Record<string, string> };
    const ca = Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString();
    expect(ca).toContain('BEGIN CERTIFICATE');
    const configuration = (await kube.get(ValidatingWebhookConfigurations, CONFIGURATION)) as { webhooks?: { clientConfig: { url?: string; caBundle?: string }; failurePolicy?: string }[] };
    expect(configuration.webhooks?.[0]).toMatchObject({ failurePolicy: 'Fail', clientConfig: { url: `${controller?.webhook?.url.replace('0.0.0.0', '127.0.0.1') ?? ''}/validate/workspace.kaito.sh` } });
    expect(Buffer.from(configuration.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString()).toBe(ca);
  });

  it('has a second replica serve the same certificate, read from the Secret', async () => {
    const port = await freePort();
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    // Another replica: same Secret, its own local configuration, and no Workspaces of ours to reconcile.
    const second = await startWorkspaceController(
      defaultSettings({
        leaderElect: false,
        metricsPort: false,
        healthPort: false,
        namespaces: [SECRET_NAMESPACE],
        webhook: true,
        webhookPort: port,
        webhookServiceNamespace: SECRET_NAMESPACE,
        webhookConfigurationName: `${CONFIGURATION}-2`,
        webhookLocalUrl: `https://127.0.0.1:${port}`,
      }),
      { kubeConfig: kc, logger: silentLogger() },
    );
    try {
      const secret = (await kube.get(Resources.Secret, 'workspace-webhook-cert', SECRET_NAMESPACE)) as { data?: Record<string, string> };
      const ca = Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString();
      const first = await servedCertificate(controller?.webhook?.port ?? 0, ca);
      expect(await servedCertificate(port, ca)).toBe(first);
    } finally {
      await second.stop({ timeoutMs: 5_000 });
    }
  });

  it('reports the webhook on /readyz once the configuration trusts its CA', async () => {
    const res = await fetch(`${controller?.manager.healthUrl ?? ''}/readyz?verbose`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('[+]webhook ok');
  });

  it.each(['kaito.sh/v1beta1', API_VERSION_V1ALPHA1] as const)("refuses a %s model that does not fit Standard_NC6s_v3 with the planner's explanation", async (apiVersion) => {
    const resource = apiVersion === API_VERSION_V1ALPHA1 ? WorkspacesV1alpha1 : Workspaces;
    const message = await refusal(kube.create(resource, misfit(ns.name, `misfit-${apiVersion.endsWith('1') ? 'a' : 'b'}`, apiVersion)));
    expect(message).toContain(`admission webhook "validation.workspace.kaito.sh" denied the request`);
    expect(message).toMatch(/resource\.instanceType: ModelDoesNotFit: phi-3-medium-128k-instruct on Standard_NC6s_v3: phi-3-medium-128k-instruct needs about \d+\.\d GiB of GPU memory/);
    expect(message).toContain('choose Standard_NC24ads_A100_v4 or Standard_NC64as_T4_v3 or allow 3 nodes (to allow 3 nodes, set resource.count: 3)');
  });

  it('refuses a bad annotation value on create', async () => {
    const ws = workspace(ns.name, 'bad-annotation');
    const message = await refusal(kube.create(Workspaces, { ...ws, metadata: { ...ws.metadata, annotations: { 'kaito.sh/performance-mode': 'fast' } } }));
    expect(message).toContain('metadata.annotations["kaito.sh/performance-mode"]: expected one of "balanced", "interactivity", "throughput"');
  });

  it('admits a valid Workspace, whose finalizer (an UPDATE through the webhook) the controller then adds', async () => {
    await kube.create(Workspaces, workspace(ns.name, 'phi-3'));
    await eventually(async () => (await kube.get(Workspaces, 'phi-3', ns.name)).metadata.finalizers?.includes(WORKSPACE_FINALIZER) === true, {
      timeoutMs: 30_000,
      description: 'the finalizer',
    });
  });

  it('refuses an UPDATE that breaks an immutable field, or sets a bad annotation, and admits a harmless one', async () => {
    // Merge patches, as kubectl apply sends: the controller writes the object meanwhile.
    const ref = { name: 'phi-3', namespace: ns.name };
    const moved = await refusal(kube.mergePatch(Workspaces, ref, { resource: { instanceType: 'Standard_NC24ads_A100_v4' } }));
    expect(moved).toContain('resource.instanceType is immutable; create a new Workspace to use another instance type');
    const annotated = await refusal(kube.mergePatch(Workspaces, ref, { metadata: { annotations: { 'kaito.sh/use-local-weights': 'yes' } } }));
    expect(annotated).toContain('denied the request');
    expect(annotated).toContain('metadata.annotations["kaito.sh/use-local-weights"]: expected one of "true", "false"');
    const labelled = await kube.mergePatch(Workspaces, ref, { metadata: { labels: { team: 'a' } } });
    expect(labelled.metadata.labels).toEqual({ team: 'a' });
  });

  it('prints a refusal in `kubectl apply` as the API server prints its own validation errors: the field, then why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webhook-int-'));
    const apply = async (ws: Workspace): Promise<{ code: number; stderr: string }> => {
      const file = join(dir, `${ws.metadata.name}.yaml`);
      await writeFile(file, JSON.stringify(ws));
      return promisify(execFile)('kubectl', ['--kubeconfig', kubeconfigPath, 'apply', '-f', file]).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? '' }),
      );
    };
    const one = await apply(misfit(ns.name, 'kubectl-misfit'));
    const bad = misfit(ns.name, 'kubectl-two');
    const two = await apply({ ...bad, metadata: { ...bad.metadata, annotations: { 'kaito.sh/node-image-family': 'windows' } } });
    process.stdout.write(`kubectl apply printed:\n${one.stderr}\n${two.stderr}\n`);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/^The Workspace "kubectl-misfit" is invalid: resource\.instanceType: ModelDoesNotFit: phi-3-medium-128k-instruct on Standard_NC6s_v3: .* choose Standard_NC24ads_A100_v4/);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain('The Workspace "kubectl-two" is invalid: \n* metadata.annotations["kaito.sh/node-image-family"]: expected one of "ubuntu", "azurelinux"');
    expect(two.stderr).toContain('\n* resource.instanceType: ModelDoesNotFit');
  });

  it('lets a Workspace be deleted (its finalizer removal passes the webhook)', async () => {
    await kube.delete(Workspaces, { name: 'phi-3', namespace: ns.name });
    await eventually(async () => (await kube.find(Workspaces, 'phi-3', ns.name)) === undefined, { timeoutMs: 60_000, description: 'the Workspace to go' });
  });

  it('removes the configuration it wrote when it stops', async () => {
    await controller?.stop({ timeoutMs: 5_000 });
    controller = undefined;
    expect(await kube.find(ValidatingWebhookConfigurations, CONFIGURATION)).toBeUndefined();
    await kube.create(Workspaces, misfit(ns.name, 'after-stop'));
  });
});
