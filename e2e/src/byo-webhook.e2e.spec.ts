/**
 * BYO (bring your own nodes: a Workspace without `instanceType` whose labelSelector matches
 * pre-created fake GPU nodes) and the admission webhook served by the controller process refusing
 * a model that does not fit at `kubectl apply`. (The two-node plan runs in
 * inference-kwok.e2e.spec.ts, with that file's processes.)
 */
import type { KubeClient } from '@kaito-ts/controller-runtime';
import { addGpuNode, deleteGpuNodes, kubeClients } from '@kaito-ts/cluster/testing';
import { API_VERSION_V1BETA1 } from '@kaito-ts/api';
import { startKwokProvisionerProcess } from './harness/kwok-provisioner.js';
import { createNamespace, deleteNamespace, nodeRequestsOf, testKube, type TestKube } from './harness/kube.js';
import { kubectl } from './harness/kubectl.js';
import type { ManagedProcess } from './harness/process.js';
import { runId } from './harness/repo.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { deleteAndExpectNothingLeft, inferenceWorkspaceManifest, removeAllWorkspaces, waitForReady } from './harness/workspace.js';

const API = 'nodeclaim';

/**
 * Local webhook mode (--webhook-local-url) is test-only: with no chart, the controller creates the
 * ValidatingWebhookConfiguration (pointed at this machine) and its certificate Secret itself, and
 * removes the configuration when it stops. The chart creates both and grants only get/update on
 * them by name, so this mode needs these grants on top; production never has them.
 */
const localWebhookGrants = (release: string, ns: string, run: string): string => {
  const subject = { kind: 'ServiceAccount', name: `${release}-workspace-controller`, namespace: ns };
  const name = `${release}-local-webhook`;
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['create'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'update', 'delete'], resourceNames: [`e2e-${run}.workspace.kaito.sh`] },
    ] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [subject] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: ns }, rules: [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: [`e2e-${run}-webhook-cert`] },
    ] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [subject] },
  ].map((o) => JSON.stringify(o)).join('\n---\n');
};

describe('BYO nodes (kwok provisioner, nodeclaim)', () => {
  const run = runId();
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  const cloudNs = `e2e-byo-cloud-${run}`;
  const byoNodes = [`e2e-byo-${run}-0`, `e2e-byo-${run}-1`];
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;

  beforeAll(async () => {
    k = testKube('e2e-byo');
    kube = k.kube;
    ns = await createNamespace(kube, 'e2e-byo');
    [provisioner, controller] = await Promise.all([
      startKwokProvisionerProcess({ api: API, cloudNamespace: cloudNs, workspaceNamespace: ns, logName: `byo-${run}-provisioner` }),
      startWorkspaceControllerProcess({ nodeApi: API, namespaces: [ns], logName: `byo-${run}-workspace-controller` }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await removeAllWorkspaces(kube, ns);
    await controller?.stop();
    await provisioner?.stop();
    await deleteGpuNodes(kubeClients().core, byoNodes).catch(() => undefined);
    await deleteNamespace(kube, ns);
    await deleteNamespace(kube, cloudNs);
    await k.close();
  });

  it('serves a Workspace without instanceType on pre-created GPU nodes its labelSelector matches, requesting no node', async () => {
    for (const name of byoNodes) await addGpuNode(kubeClients().core, { sku: 'Standard_NC6s_v3', name, labels: { 'e2e.kaito-ts.dev/byo': run } });
    // v1beta1: v1alpha1 defaults instanceType (Standard_NC24ads_A100_v4), as Kaito's does.
    const manifest = JSON.parse(inferenceWorkspaceManifest({ name: 'phi-3-byo', namespace: ns, matchLabels: { 'e2e.kaito-ts.dev/byo': run } })) as { apiVersion: string; resource: Record<string, unknown> };
    manifest.apiVersion = API_VERSION_V1BETA1;
    delete manifest.resource['instanceType'];
    const r = await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
    expect(r.stderr).toBe('');
    const ws = await waitForReady(kube, 'phi-3-byo', ns);
    expect(ws.status?.workerNodes).toHaveLength(1);
    expect(byoNodes).toContain(ws.status?.workerNodes?.[0]);
    expect(await nodeRequestsOf(kube, API, ns)).toEqual([]);
    await deleteAndExpectNothingLeft(kube, 'phi-3-byo', ns);
  }, 120_000);
});

describe('the admission webhook served by the workspace controller', () => {
  const run = runId();
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  let controller: ManagedProcess | undefined;
  const webhookPort = 20_000 + Math.floor(Math.random() * 20_000);

  beforeAll(async () => {
    k = testKube('e2e-webhook');
    kube = k.kube;
    ns = await createNamespace(kube, 'e2e-webhook');
    controller = await startWorkspaceControllerProcess({
      nodeApi: API,
      namespaces: [ns],
      logName: `webhook-${run}-workspace-controller`,
      extraArgs: [
        '--webhook=true',
        `--webhook-port=${webhookPort}`,
        `--webhook-local-url=https://127.0.0.1:${webhookPort}`,
        `--webhook-configuration-name=e2e-${run}.workspace.kaito.sh`,
        `--webhook-service-namespace=${ns}`,
        `--webhook-secret-name=e2e-${run}-webhook-cert`,
      ],
      testOnlyGrants: (release) => localWebhookGrants(release, ns, run),
    });
  }, 120_000);

  afterAll(async () => {
    await removeAllWorkspaces(kube, ns);
    await controller?.stop();
    await deleteNamespace(kube, ns);
    await k.close();
  });

  it('refuses a model that does not fit at kubectl apply, with the planner’s explanation', async () => {
    const r = await kubectl(['apply', '-f', '-'], inferenceWorkspaceManifest({ name: 'phi-4-misfit', namespace: ns, preset: 'phi-4' }));
    expect(r.code).not.toBe(0);
    // The planner's explanation: only the webhook (not the CRD's schema) can know the model's fit.
    expect(r.stderr).toContain('The Workspace "phi-4-misfit" is invalid: resource.instanceType: ModelDoesNotFit: phi-4 on Standard_NC6s_v3: phi-4 needs about');
    expect(r.stderr).toMatch(/choose Standard_\w+/);
    expect((await kubectl(['get', 'workspace', 'phi-4-misfit', '-n', ns])).code).not.toBe(0);
  }, 60_000);
});
