/**
 * The charts on the local control plane, the way users meet them:
 *
 * 1. every object of all three charts passes the API server's own validation (a server-side
 *    dry run with strict field validation), `helm install` succeeds, and `helm uninstall` leaves
 *    nothing of the releases but the CRDs;
 * 2. the RBAC is exactly enough: the workspace controller and the kwok provisioner run as their
 *    own processes with the environment their Deployments set and a kubeconfig impersonating
 *    their charts' ServiceAccounts; the controller serves its admission webhook through the
 *    chart's own configuration and Secret (the configuration pointed at this machine, as the
 *    Service would be); a phi-3 Workspace reaches Ready and is deleted cleanly, a tuning Workspace
 *    gets its node request, Job and the tuning pod's grants, and actions outside the charts'
 *    grants are refused (403).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from '@kaito-ts/core/testing';
import { objectPath, rawRequest, requestJson } from '@kaito-ts/cluster';
import { useNamespace, writeImpersonatingKubeconfig } from '@kaito-ts/cluster/testing';
import { mainProcess, projectProcess } from './apps.js';
import { CHART_NAMES, type ChartName, chartDir, helm, parseObjects, type Rendered, renderText, type RenderOptions, valueFlags } from './helm.js';

const admin = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env['KUBECONFIG'] ?? '');
  return kc;
};
const kubeconfigFlag = (): string[] => ['--kubeconfig', process.env['KUBECONFIG'] ?? ''];

async function install(chart: ChartName, release: string, namespace: string, o: RenderOptions = {}): Promise<void> {
  const r = await helm(['install', release, chartDir(chart), '--namespace', namespace, '--timeout', '2m', ...kubeconfigFlag(), ...valueFlags(chart, o)]);
  if (r.code !== 0) throw new Error(`helm install ${chart} failed (${r.code}): ${r.stderr}`);
}

async function uninstall(release: string, namespace: string): Promise<void> {
  const r = await helm(['uninstall', release, '--namespace', namespace, '--wait', '--timeout', '2m', ...kubeconfigFlag()]);
  if (r.code !== 0) throw new Error(`helm uninstall ${release} failed (${r.code}): ${r.stderr}`);
}

const pathOf = (o: Rendered): Promise<string> => objectPath(admin(), o);
const describeObject = (o: Rendered): string => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('helm install and uninstall of all three charts', () => {
  const namespaces: Record<ChartName, { name: string }> = {
    'workspace-controller': useNamespace('chart-workspace-controller'),
    'gpu-provisioner': useNamespace('chart-gpu-provisioner'),
    'kwok-provisioner': useNamespace('chart-kwok-provisioner'),
  };

  it('validates every object server-side, installs, and uninstalls to nothing but the CRDs', async () => {
    const rendered = new Map<ChartName, Rendered[]>();
    for (const chart of CHART_NAMES) {
      const objects = parseObjects(await renderText(chart, { release: 'kaito', namespace: namespaces[chart].name }));
      rendered.set(chart, objects);
      for (const o of objects) {
        const res = await rawRequest(admin(), 'PATCH', `${await pathOf(o)}?fieldManager=charts-int&dryRun=All&fieldValidation=Strict&force=true`, {
          body: JSON.stringify(o),
          contentType: 'application/apply-patch+yaml',
        });
        // 200 for an existing object, 201 for one a dry run would create.
        expect({ object: describeObject(o), accepted: res.status === 200 || res.status === 201, body: res.status < 300 ? '' : res.body }).toEqual({ object: describeObject(o), accepted: true, body: '' });
      }
    }

    for (const chart of CHART_NAMES) await install(chart, 'kaito', namespaces[chart].name);
    for (const chart of CHART_NAMES) {
      for (const o of rendered.get(chart) ?? []) expect({ object: describeObject(o), status: (await rawRequest(admin(), 'GET', await pathOf(o))).status }).toEqual({ object: describeObject(o), status: 200 });
    }

    for (const chart of CHART_NAMES) await uninstall('kaito', namespaces[chart].name);
    for (const chart of CHART_NAMES) {
      for (const o of rendered.get(chart) ?? []) {
        await eventually(async () => (await rawRequest(admin(), 'GET', await pathOf(o))).status === 404, { timeoutMs: 60_000, description: `${describeObject(o)} gone after helm uninstall` });
      }
      const left = await helm(['list', '--namespace', namespaces[chart].name, '--all', '--short', ...kubeconfigFlag()]);
      expect(left.stdout.trim()).toBe('');
    }
    for (const crd of ['workspaces.kaito.sh', 'nodeclaims.karpenter.sh', 'machines.karpenter.sh']) {
      expect((await rawRequest(admin(), 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`)).status).toBe(200);
    }
  }, 600_000);
});

interface RunningProcess {
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<void>;
}

/** Starts a chart's process with its Deployment's environment; resolves once it logged `startedLine`. */
async function startAs(chart: ChartName, env: Record<string, string>, startedLine: string): Promise<RunningProcess> {
  return started(chart, mainProcess(chart, [], env), startedLine);
}

async function started(what: string, child: ChildProcess, startedLine: string): Promise<RunningProcess> {
  const chart = what;
  const running: RunningProcess = { child, output: '', exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      running.output += chunk.toString('utf8');
      if (running.output.includes(startedLine)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${chart} exited with ${code ?? 'a signal'} before starting:\n${running.output}`)));
    setTimeout(() => reject(new Error(`${chart} did not start within 90 s:\n${running.output}`)), 90_000).unref();
  });
  return running;
}

async function stop(p: RunningProcess | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  await p.exited;
}

/** The one container's env of the chart's rendered Deployment (what the pod would get). */
function deploymentEnv(objects: Rendered[]): Record<string, string> {
  const d = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
  return Object.fromEntries((d.spec.template.spec.containers[0]?.env ?? []).flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])));
}

const WORKSPACES = '/apis/kaito.sh/v1beta1/namespaces';

/** A port free on this machine now (the controller's webhook listens on it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port from listen(0)');
  return address.port;
}

/** A Workspace the webhook refuses: phi-3-medium does not fit one Standard_NC6s_v3 (the planner's rule). */
const misfit = (namespace: string, name: string) => ({
  apiVersion: 'kaito.sh/v1beta1',
  kind: 'Workspace',
  metadata: { name, namespace },
  resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: name } } },
  inference: { preset: { name: 'phi-3-medium-128k-instruct' } },
});
const DENIED = 'admission webhook "validation.workspace.kaito.sh" denied the request';
/** The `message` of the API server's Status in a response body ('' when there is none). */
const statusMessage = (body: string): string => {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? '');
  } catch {
    return '';
  }
};

/** How a controller's log shows a request RBAC refused: the API server's "… is forbidden", or its 403 code. */
const REFUSED = /forbidden|\b(?:HTTP|status|statusCode|code)\W{0,3}403\b/i;

describe('the charts’ RBAC is what the controllers need, and no more', () => {
  const workloads = useNamespace('rbac-workloads');
  const other = useNamespace('rbac-other');
  const wcNamespace = useNamespace('rbac-wc');
  const kpNamespace = useNamespace('rbac-kwok');
  let dir: string;
  let controller: RunningProcess | undefined;
  let provisioner: RunningProcess | undefined;
  let wcKubeconfig: string;
  let kpKubeconfig: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charts-rbac-'));
    const wcValues: RenderOptions = { set: [`watchNamespaces={${workloads.name}}`, `tuning.secretNamespaces={${workloads.name}}`, 'tuning.allowLoopbackInputs=true', 'tuning.preflightRecheck=2s'] };
    const kpValues: RenderOptions = { set: ['launchDelay=1s'], setString: [`selector.kaito\\.sh/workspacenamespace=${workloads.name}`] };
    await install('workspace-controller', 'wc', wcNamespace.name, wcValues);
    await install('kwok-provisioner', 'kp', kpNamespace.name, kpValues);
    const wcObjects = parseObjects(await renderText('workspace-controller', { release: 'wc', namespace: wcNamespace.name, ...wcValues }));
    const kpObjects = parseObjects(await renderText('kwok-provisioner', { release: 'kp', namespace: kpNamespace.name, ...kpValues }));
    const saOf = (objects: Rendered[], namespace: string) => ({ namespace, name: objects.find((o) => o.kind === 'ServiceAccount')?.metadata.name ?? '' });
    wcKubeconfig = writeImpersonatingKubeconfig(admin(), saOf(wcObjects, wcNamespace.name), join(dir, 'workspace-controller.kubeconfig'));
    kpKubeconfig = writeImpersonatingKubeconfig(admin(), saOf(kpObjects, kpNamespace.name), join(dir, 'kwok-provisioner.kubeconfig'));
    // The chart's webhook configuration points at its Service; here the API server reaches the
    // process on this machine instead, as the Service would route to the pod. Nothing else of the
    // configuration changes, and the controller only updates its caBundle (RBAC: get, update).
    const webhookPort = await freePort();
    const configuration = wcObjects.find((o) => o.kind === 'ValidatingWebhookConfiguration');
    if (configuration === undefined) throw new Error('the workspace-controller chart rendered no ValidatingWebhookConfiguration (webhook.enabled is on by default)');
    await requestJson(admin(), 'PATCH', await pathOf(configuration), {
      contentType: 'application/json-patch+json',
      body: JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig', value: { url: `https://127.0.0.1:${webhookPort}/validate/workspace.kaito.sh` } }]),
    });
    // Ports off: the process shares this machine with others; everything else is the chart's.
    provisioner = await startAs(
      'kwok-provisioner',
      { ...deploymentEnv(kpObjects), KWOK_PROVISIONER_KUBECONFIG: kpKubeconfig, KWOK_PROVISIONER_METRICS_PORT: 'off', KWOK_PROVISIONER_HEALTH_PORT: 'off' },
      'kwok provisioner started',
    );
    controller = await startAs(
      'workspace-controller',
      { ...deploymentEnv(wcObjects), WORKSPACE_CONTROLLER_KUBECONFIG: wcKubeconfig, WORKSPACE_CONTROLLER_METRICS_PORT: 'off', WORKSPACE_CONTROLLER_HEALTH_PORT: 'off', WORKSPACE_CONTROLLER_WEBHOOK_PORT: String(webhookPort) },
      'workspace controller started',
    );
    await eventually(async () => controller?.output.includes('webhook configuration trusts the current CA') === true, {
      timeoutMs: 60_000,
      description: `the controller writes its CA into the chart's webhook configuration\n${controller.output.slice(-3000)}`,
    });
    // The API server picks the updated configuration up within a second or so: wait until it refuses.
    await eventually(
      async () => {
        const res = await rawRequest(admin(), 'POST', `${WORKSPACES}/${workloads.name}/workspaces`, { body: JSON.stringify(misfit(workloads.name, 'probe')) });
        if (!statusMessage(res.body).includes(DENIED)) throw new Error(`not refused by the webhook: ${res.status} ${res.body.slice(0, 1000)}`);
        return true;
      },
      { timeoutMs: 30_000, description: 'the API server to call the webhook through the chart’s configuration' },
    );
  }, 300_000);

  afterAll(async () => {
    await stop(controller);
    await stop(provisioner);
    await uninstall('wc', wcNamespace.name).catch(() => undefined);
    await uninstall('kp', kpNamespace.name).catch(() => undefined);
    await uninstall('gp', kpNamespace.name).catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('serves a phi-3 Workspace to Ready and deletes it, with nothing refused along the way', async () => {
    const ws = {
      apiVersion: 'kaito.sh/v1beta1',
      kind: 'Workspace',
      metadata: { name: 'phi-3', namespace: workloads.name },
      resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: 'phi-3' } } },
      inference: { preset: { name: 'phi-3-mini-4k-instruct' } },
    };
    await requestJson(admin(), 'POST', `${WORKSPACES}/${workloads.name}/workspaces`, { body: JSON.stringify(ws) });
    await eventually(
      async () => {
        const got = await requestJson<{ status?: { conditions?: { type: string; status: string }[] } }>(admin(), 'GET', `${WORKSPACES}/${workloads.name}/workspaces/phi-3`);
        const status = (type: string) => got.status?.conditions?.find((c) => c.type === type)?.status;
        if (!['ResourceReady', 'InferenceReady', 'WorkspaceReady'].every((t) => status(t) === 'True')) {
          throw new Error(`conditions ${JSON.stringify(got.status?.conditions ?? [])}\ncontroller: ${controller?.output.slice(-3000) ?? ''}\nprovisioner: ${provisioner?.output.slice(-3000) ?? ''}`);
        }
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, description: 'the Workspace Ready (ResourceReady, InferenceReady, WorkspaceReady True)' },
    );
    await requestJson(admin(), 'DELETE', `${WORKSPACES}/${workloads.name}/workspaces/phi-3`);
    await eventually(async () => (await rawRequest(admin(), 'GET', `${WORKSPACES}/${workloads.name}/workspaces/phi-3`)).status === 404, {
      timeoutMs: 120_000,
      description: 'the Workspace finalized and gone',
    });
    expect(controller?.output).not.toMatch(REFUSED);
    expect(provisioner?.output).not.toMatch(REFUSED);
    expect(controller?.child.exitCode).toBeNull();
    expect(provisioner?.child.exitCode).toBeNull();
  }, 360_000);

  it('serves admission through the chart’s webhook configuration, with the certificate in the chart’s Secret', async () => {
    const refused = await rawRequest(admin(), 'POST', `${WORKSPACES}/${workloads.name}/workspaces`, { body: JSON.stringify(misfit(workloads.name, 'misfit')) });
    expect({ status: refused.status, message: statusMessage(refused.body) }).toEqual({ status: 422, message: expect.stringContaining(DENIED) as unknown });
    expect(statusMessage(refused.body)).toContain('resource.instanceType: ModelDoesNotFit');
    expect((await rawRequest(admin(), 'GET', `${WORKSPACES}/${workloads.name}/workspaces/misfit`)).status).toBe(404);
    const secret = await requestJson<{ data?: Record<string, string> }>(admin(), 'GET', `/api/v1/namespaces/${wcNamespace.name}/secrets/wc-workspace-controller-webhook-cert`);
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(controller?.output).not.toMatch(REFUSED);
  });

  it('gives a tuning Workspace its node request, Job and the tuning pod’s grants, and finalizes it, with nothing refused', async () => {
    const pushSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'registry-push', namespace: workloads.name },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from('u:p').toString('base64') } } }) },
    };
    await requestJson(admin(), 'POST', `/api/v1/namespaces/${workloads.name}/secrets`, { body: JSON.stringify(pushSecret) });
    const ws = {
      apiVersion: 'kaito.sh/v1beta1',
      kind: 'Workspace',
      metadata: { name: 'tune-phi-3', namespace: workloads.name },
      resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: 'tune-phi-3' } } },
      tuning: {
        preset: { name: 'phi-3-mini-128k-instruct' },
        method: 'qlora',
        input: { urls: ['http://localhost:8080/train.parquet'] },
        output: { image: 'registry.example.com/adapters/phi-3:0.0.1', imagePushSecret: 'registry-push' },
      },
    };
    await requestJson(admin(), 'POST', `${WORKSPACES}/${workloads.name}/workspaces`, { body: JSON.stringify(ws) });
    const ns = `/api/v1/namespaces/${workloads.name}`;
    await eventually(
      async () => {
        const job = await rawRequest(admin(), 'GET', `/apis/batch/v1/namespaces/${workloads.name}/jobs/tune-phi-3`);
        if (job.status !== 200) throw new Error(`no Job yet (${job.status})\ncontroller: ${controller?.output.slice(-3000) ?? ''}\nprovisioner: ${provisioner?.output.slice(-2000) ?? ''}`);
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, description: 'the tuning Job created once its node is Ready' },
    );
    const requests = await requestJson<{ items: unknown[] }>(admin(), 'GET', `/apis/karpenter.sh/v1/nodeclaims?labelSelector=${encodeURIComponent('kaito.sh/workspace=tune-phi-3')}`);
    expect(requests.items).toHaveLength(1);
    for (const path of [`${ns}/serviceaccounts/tune-phi-3-tuning`, `${ns}/configmaps/tune-phi-3-tuning-progress`, `${ns}/configmaps/qlora-params-template`]) {
      expect({ path, status: (await rawRequest(admin(), 'GET', path)).status }).toEqual({ path, status: 200 });
    }
    // The tuning pod's identity may patch its progress ConfigMap, and nothing else.
    const asTuningPod = new KubeConfig();
    asTuningPod.loadFromFile(writeImpersonatingKubeconfig(admin(), { namespace: workloads.name, name: 'tune-phi-3-tuning' }, join(dir, 'tuning-pod.kubeconfig')));
    const progress = await rawRequest(asTuningPod, 'PATCH', `${ns}/configmaps/tune-phi-3-tuning-progress`, { contentType: 'application/merge-patch+json', body: JSON.stringify({ data: { probe: 'x' } }) });
    expect(progress.status).toBe(200);
    expect((await rawRequest(asTuningPod, 'GET', `${ns}/configmaps/qlora-params-template`)).status).toBe(403);
    expect((await rawRequest(asTuningPod, 'GET', `${ns}/secrets/registry-push`)).status).toBe(403);

    await requestJson(admin(), 'DELETE', `${WORKSPACES}/${workloads.name}/workspaces/tune-phi-3`);
    await eventually(async () => (await rawRequest(admin(), 'GET', `${WORKSPACES}/${workloads.name}/workspaces/tune-phi-3`)).status === 404, {
      timeoutMs: 120_000,
      description: 'the tuning Workspace finalized (its node request deleted) and gone',
    });
    expect(controller?.output).not.toMatch(REFUSED);
    expect(provisioner?.output).not.toMatch(REFUSED);
    expect(controller?.child.exitCode).toBeNull();
  }, 360_000);

  it('lets the workspace controller read Secrets only in its secret namespaces', async () => {
    const secret = (ns: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'push-secret', namespace: ns }, stringData: { token: 'not-a-real-token' } });
    for (const ns of [workloads.name, other.name]) await requestJson(admin(), 'POST', `/api/v1/namespaces/${ns}/secrets`, { body: JSON.stringify(secret(ns)) });
    const asController = new KubeConfig();
    asController.loadFromFile(wcKubeconfig);
    expect((await rawRequest(asController, 'GET', `/api/v1/namespaces/${workloads.name}/secrets/push-secret`)).status).toBe(200);
    expect((await rawRequest(asController, 'GET', `/api/v1/namespaces/${other.name}/secrets/push-secret`)).status).toBe(403);
    expect((await rawRequest(asController, 'GET', '/api/v1/secrets')).status).toBe(403);
    expect((await rawRequest(asController, 'GET', `/api/v1/namespaces/${workloads.name}/secrets`)).status).toBe(403);
  });

  it.each(['kwok-provisioner', 'gpu-provisioner'] as const)('refuses the %s deleting a Deployment, and leaves the Deployment there', async (chart) => {
    let kubeconfig = kpKubeconfig;
    if (chart === 'gpu-provisioner') {
      await install('gpu-provisioner', 'gp', kpNamespace.name);
      kubeconfig = writeImpersonatingKubeconfig(admin(), { namespace: kpNamespace.name, name: 'gp-gpu-provisioner' }, join(dir, 'gpu-provisioner.kubeconfig'));
    }
    const asProvisioner = new KubeConfig();
    asProvisioner.loadFromFile(kubeconfig);
    const deployment = `/apis/apps/v1/namespaces/${wcNamespace.name}/deployments/wc-workspace-controller`;
    expect((await rawRequest(asProvisioner, 'DELETE', deployment)).status).toBe(403);
    expect((await rawRequest(admin(), 'GET', deployment)).status).toBe(200);
    expect((await rawRequest(asProvisioner, 'GET', `/api/v1/namespaces/${wcNamespace.name}/secrets`)).status).toBe(403);
    // What it is granted, it can do: list the node requests it fulfils.
    expect((await rawRequest(asProvisioner, 'GET', '/apis/karpenter.sh/v1/nodeclaims')).status).toBe(200);
  });

  it('serves a phi-3 Workspace with the gpu-provisioner (against the ARM simulator) under its chart’s RBAC', async () => {
    await stop(provisioner); // the kwok provisioner would fulfil the same requests
    const tokenFile = join(dir, 'azure-identity-token');
    writeFileSync(tokenFile, `projected-sa-token-${Math.random().toString(36).slice(2)}`);
    const stateDir = join(dir, 'arm');
    mkdirSync(stateDir);
    const azure = { subscriptionId: '00000000-0000-0000-0000-0000000000aa', resourceGroup: 'rg-kaito', clusterName: 'aks-kaito', location: 'eastus', tenantId: '00000000-0000-0000-0000-0000000000bb', clientId: '00000000-0000-0000-0000-0000000000cc' };
    const sim = await started(
      'arm-simulator',
      projectProcess(
        'tools/arm-simulator',
        [`--federated-token-file=${tokenFile}`, `--state-dir=${stateDir}`, '--nodes=kube', `--kubeconfig=${process.env['KUBECONFIG'] ?? ''}`, '--create-delay=2s', '--delete-delay=1s',
          `--subscription=${azure.subscriptionId}`, `--resource-group=${azure.resourceGroup}`, `--cluster-name=${azure.clusterName}`, `--location=${azure.location}`, `--tenant-id=${azure.tenantId}`, `--client-id=${azure.clientId}`, '--log-level=warn'],
        {},
      ),
      '"caPath"',
    );
    let gpu: RunningProcess | undefined;
    try {
      const endpoint = JSON.parse(sim.output.split('\n').find((l) => l.includes('"caPath"')) ?? '{}') as { url: string; caPath: string };
      const values: RenderOptions = {
        set: [`azure.subscriptionId=${azure.subscriptionId}`, `azure.resourceGroup=${azure.resourceGroup}`, `azure.clusterName=${azure.clusterName}`, `azure.location=${azure.location}`, `azure.armEndpoint=${endpoint.url}`, `workloadIdentity.clientId=${azure.clientId}`, `workloadIdentity.tenantId=${azure.tenantId}`],
        setString: [`selector.kaito\\.sh/workspacenamespace=${workloads.name}`],
      };
      await install('gpu-provisioner', 'aks', kpNamespace.name, values);
      const objects = parseObjects(await renderText('gpu-provisioner', { release: 'aks', namespace: kpNamespace.name, ...values }));
      const kubeconfig = writeImpersonatingKubeconfig(admin(), { namespace: kpNamespace.name, name: 'aks-gpu-provisioner' }, join(dir, 'aks.kubeconfig'));
      // What the workload-identity webhook injects into the pod, pointed at the simulator.
      const workloadIdentity = { AZURE_AUTHORITY_HOST: `${endpoint.url}/`, AZURE_TENANT_ID: azure.tenantId, AZURE_CLIENT_ID: azure.clientId, AZURE_FEDERATED_TOKEN_FILE: tokenFile, NODE_EXTRA_CA_CERTS: endpoint.caPath };
      gpu = await startAs(
        'gpu-provisioner',
        { ...deploymentEnv(objects), ...workloadIdentity, GPU_PROVISIONER_KUBECONFIG: kubeconfig, GPU_PROVISIONER_METRICS_PORT: 'off', GPU_PROVISIONER_HEALTH_PORT: 'off', GPU_PROVISIONER_TERMINATION_POLL: '1s' },
        'gpu provisioner started',
      );
      const ws = {
        apiVersion: 'kaito.sh/v1beta1',
        kind: 'Workspace',
        metadata: { name: 'phi-3-aks', namespace: workloads.name },
        resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: 'phi-3-aks' } } },
        inference: { preset: { name: 'phi-3-mini-4k-instruct' } },
      };
      await requestJson(admin(), 'POST', `${WORKSPACES}/${workloads.name}/workspaces`, { body: JSON.stringify(ws) });
      await eventually(
        async () => {
          const got = await requestJson<{ status?: { conditions?: { type: string; status: string }[] } }>(admin(), 'GET', `${WORKSPACES}/${workloads.name}/workspaces/phi-3-aks`);
          const status = (type: string) => got.status?.conditions?.find((c) => c.type === type)?.status;
          if (!['ResourceReady', 'InferenceReady', 'WorkspaceReady'].every((t) => status(t) === 'True')) {
            throw new Error(`conditions ${JSON.stringify(got.status?.conditions ?? [])}\ngpu-provisioner: ${gpu?.output.slice(-3000) ?? ''}`);
          }
          return true;
        },
        { timeoutMs: 180_000, intervalMs: 1_000, description: 'the Workspace Ready on an agent pool' },
      );
      await requestJson(admin(), 'DELETE', `${WORKSPACES}/${workloads.name}/workspaces/phi-3-aks`);
      await eventually(async () => (await rawRequest(admin(), 'GET', `${WORKSPACES}/${workloads.name}/workspaces/phi-3-aks`)).status === 404, {
        timeoutMs: 120_000,
        description: 'the Workspace finalized and gone (its pool deleted)',
      });
      expect(gpu.output).not.toMatch(REFUSED);
      expect(controller?.output).not.toMatch(REFUSED);
    } finally {
      await stop(gpu);
      await stop(sim);
      await uninstall('aks', kpNamespace.name).catch(() => undefined);
    }
  }, 420_000);
});
