/**
 * Tuning Workspaces on the local control plane: the workspace controller in process (two of them,
 * one per namespace, each with its own tuning pod annotations), the kwok provisioner as its own
 * process (another team's project, as in inference.int.spec.ts), serving the node requests of
 * this run only (selected by a `run` label the Workspaces' matchLabels put on them).
 *
 * Job pods run on kwok nodes: a succeeding one stays Running 15 s first (`complete-after`), a
 * failing one ends the way kwok's `pod-simulate-failed` stage says, with the termination message
 * the tuning-runner writes (its JSON), which the controller must turn into the right reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConditionType, type Workspace } from '@kaito-ts/api';
import { makeTuningWorkspace } from '@kaito-ts/api/testing';
import { KubeClient, type KubeObject, Resources, type ResourceType, RestClient } from '@kaito-ts/controller-runtime';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { eventually } from '@kaito-ts/core/testing';
import { nodeRequestResource } from '@kaito-ts/karpenter';
import { COMPLETE_AFTER_ANNOTATION, simulateAnnotations, useNamespace } from '@kaito-ts/cluster/testing';
import type { V1Job } from '@kubernetes/client-node';
import { defaultSettings, type WorkspaceControllerSettings } from '../../settings.js';
import { type RunningWorkspaceController, startWorkspaceController } from '../../start.js';
import { Workspaces } from '../workspace/resources.js';

const run = Math.random().toString(36).slice(2, 8);
const REPO = join(__dirname, '..', '..', '..', '..', '..');
const requestResource = nodeRequestResource('nodeclaim') as unknown as ResourceType;
const INVALID_DATASET = JSON.stringify({ phase: 'Failed', reason: 'InvalidDataset', message: 'train.parquet: row 3: messages[1].role: expected "user" or "assistant", got "bot"' });

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env['KUBECONFIG'] ?? '');
  return kc;
}

async function startProvisioner(args: string[]): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn(process.execPath, [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO, 'tools', 'kwok-provisioner', 'src', 'main.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('kwok provisioner started')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kwok-provisioner exited with ${code ?? 'a signal'} before starting:\n${output}`)));
    setTimeout(() => reject(new Error(`kwok-provisioner did not start within 60 s:\n${output}`)), 60_000).unref();
  });
  return { child, exited };
}

describe('tuning Workspaces on the local control plane', () => {
  const ok = useNamespace('tuning-ok');
  const failing = useNamespace('tuning-fail');
  let kube: KubeClient;
  let transport: RestClient;
  const controllers: RunningWorkspaceController[] = [];
  let provisioner: { child: ChildProcess; exited: Promise<void> } | undefined;
  const cloudNamespace = `kwok-tuning-${run}`;

  const settings = (namespace: string, overrides: Partial<WorkspaceControllerSettings>): WorkspaceControllerSettings =>
    defaultSettings({ nodeApi: 'nodeclaim', leaderElect: false, metricsPort: false, healthPort: false, namespaces: [namespace], tuningAllowLoopbackInputs: true, tuningPreflightRecheckMs: 2_000, ...overrides });

  beforeAll(async () => {
    transport = new RestClient(kubeConfig(), { userAgent: 'tuning-int' });
    kube = new KubeClient(transport, { fieldManager: 'tuning-int' });
    provisioner = await startProvisioner([
      '--api=nodeclaim',
      `--cloud-namespace=${cloudNamespace}`,
      '--launch-delay=1s',
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--log-format=json',
      `--selector=run=${run}`,
    ]);
    for (const [ns, annotations] of [
      [ok.name, { [COMPLETE_AFTER_ANNOTATION]: '15s' }],
      [failing.name, simulateAnnotations('Failed', { message: INVALID_DATASET, exitCode: 5 })],
    ] as const) {
      controllers.push(await startWorkspaceController(settings(ns, { tuningPodAnnotations: annotations }), { kubeConfig: kubeConfig(), logger: silentLogger() }));
      await kube.create(Resources.Secret, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'registry-push', namespace: ns },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from('u:p').toString('base64') } } })).toString('base64') },
      } as KubeObject);
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of controllers) await c.stop({ timeoutMs: 5_000 });
    if (provisioner !== undefined) {
      provisioner.child.kill('SIGTERM');
      await provisioner.exited;
    }
    await kube.delete(Resources.Namespace, { name: cloudNamespace });
    await transport.close();
  });

  async function create(namespace: string, name: string, tuning: Partial<NonNullable<Workspace['tuning']>> = {}): Promise<void> {
    const seed = makeTuningWorkspace({ metadata: { name, namespace } });
    const { uid: _uid, generation: _generation, ...metadata } = seed.metadata;
    const base = seed.tuning as NonNullable<Workspace['tuning']>;
    await kube.create(Workspaces, {
      ...seed,
      metadata,
      resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { run } } },
      tuning: { ...base, input: { urls: ['http://localhost:8080/train.parquet'] }, ...tuning },
    } as Workspace);
  }

  const requestsOf = async (namespace: string, name: string): Promise<KubeObject[]> =>
    (await kube.list(requestResource, {})).filter((o) => o.metadata.labels?.['kaito.sh/workspacenamespace'] === namespace && o.metadata.labels['kaito.sh/workspace'] === name);
  const condition = (ws: Workspace, type: string) => ws.status?.conditions?.find((c) => c.type === type);

  async function waitFor(namespace: string, name: string, what: string, test: (ws: Workspace) => boolean, timeoutMs = 60_000): Promise<Workspace> {
    return eventually(
      async () => {
        const ws = await kube.get(Workspaces, name, namespace);
        return test(ws) && ws;
      },
      { timeoutMs, description: `${namespace}/${name}: ${what}` },
    );
  }

  it('refuses an input URL to a private address before provisioning: InputsReady False, no node request', async () => {
    await create(ok.name, 'private-url', { input: { urls: ['http://10.1.2.3/train.parquet'] } });
    const ws = await waitFor(ok.name, 'private-url', 'InputsReady False', (w) => condition(w, ConditionType.InputsReady)?.status === 'False');
    expect(condition(ws, ConditionType.InputsReady)).toMatchObject({ reason: 'InputUrlRefused', message: expect.stringContaining('tuning.input.urls[0]: host 10.1.2.3 resolves to 10.1.2.3, a private address') });
    expect(condition(ws, ConditionType.WorkspaceReady)?.message).toMatch(/^InputUrlRefused: /);
    expect(ws.status?.state).toBe('Pending');
    // Re-checked every 2 s: after several passes there is still no node request.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await requestsOf(ok.name, 'private-url')).toEqual([]);
    expect(await kube.find(Resources.Job, 'private-url', ok.name)).toBeUndefined();
  }, 60_000);

  it('refuses a missing push Secret before provisioning, and goes on once it exists', async () => {
    await create(ok.name, 'no-secret', { output: { image: 'registry.example.com/adapters/x:1', imagePushSecret: 'missing-push' } });
    const ws = await waitFor(ok.name, 'no-secret', 'InputsReady False', (w) => condition(w, ConditionType.InputsReady)?.status === 'False');
    expect(condition(ws, ConditionType.InputsReady)).toMatchObject({ reason: 'PushSecretNotFound', message: expect.stringContaining(`Secret missing-push not found in namespace ${ok.name}`) });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await requestsOf(ok.name, 'no-secret')).toEqual([]);
    await kube.delete(Workspaces, { name: 'no-secret', namespace: ok.name });
    await eventually(async () => (await kube.find(Workspaces, 'no-secret', ok.name)) === undefined, { timeoutMs: 30_000, description: 'no-secret to go' });
  }, 60_000);

  it('tunes the seed-like Workspace: one node request, the Job in shape, Pending → Running → Succeeded, nodes released, a changed spec runs again, nothing left after deletion', async () => {
    await create(ok.name, 'tuning-phi-3');
    const running = await waitFor(ok.name, 'tuning-phi-3', 'state Running', (w) => w.status?.state === 'Running', 90_000);
    expect(condition(running, ConditionType.InputsReady)?.status).toBe('True');
    expect(condition(running, ConditionType.ResourceReady)?.status).toBe('True');
    expect(condition(running, ConditionType.JobStarted)).toMatchObject({ status: 'True', reason: 'JobStarted' });
    expect(await requestsOf(ok.name, 'tuning-phi-3')).toHaveLength(1);

    const job = (await kube.get(Resources.Job, 'tuning-phi-3', ok.name)) as unknown as V1Job;
    const pod = job.spec?.template.spec;
    const tuner = pod?.containers[0];
    expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Workspace', name: 'tuning-phi-3', controller: true });
    expect(tuner?.args).toEqual(expect.arrayContaining(['--method=qlora', '--config=/mnt/config/training_config.yaml']));
    expect(tuner?.env).toEqual(expect.arrayContaining([{ name: 'DATA_URLS', value: 'http://localhost:8080/train.parquet' }, { name: 'OUTPUT_IMAGE', value: 'registry.example.com/adapters/phi-3:0.0.1' }]));
    expect(tuner?.resources?.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(tuner?.terminationMessagePath).toBe('/dev/termination-log');
    expect(pod?.serviceAccountName).toBe('tuning-phi-3-tuning');
    expect(job.spec?.backoffLimit).toBe(0);
    expect(await kube.find(Resources.ConfigMap, 'qlora-params-template', ok.name)).toBeDefined();
    expect(await kube.find(Resources.ConfigMap, 'tuning-phi-3-tuning-progress', ok.name)).toBeDefined();

    const done = await waitFor(ok.name, 'tuning-phi-3', 'state Succeeded', (w) => w.status?.state === 'Succeeded', 60_000);
    expect(condition(done, ConditionType.WorkspaceSucceeded)).toMatchObject({ status: 'True', reason: 'TuningSucceeded' });
    expect(condition(done, ConditionType.WorkspaceReady)?.status).toBe('True');
    await eventually(async () => (await requestsOf(ok.name, 'tuning-phi-3')).length === 0, { timeoutMs: 30_000, description: 'the node request to be released' });
    expect(condition(await kube.get(Workspaces, 'tuning-phi-3', ok.name), ConditionType.ResourceReady)).toMatchObject({ status: 'False', reason: 'NodesReleased' });

    // The finished Job deleted by someone (or a TTL): the succeeded run is not repeated.
    await kube.delete(Resources.Job, { name: 'tuning-phi-3', namespace: ok.name }, { propagationPolicy: 'Background' });
    await eventually(async () => (await kube.find(Resources.Job, 'tuning-phi-3', ok.name)) === undefined, { timeoutMs: 30_000, description: 'the finished Job to go' });
    // Long enough for the Job's deletion event to be reconciled many times over (it is one pass).
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await kube.find(Resources.Job, 'tuning-phi-3', ok.name)).toBeUndefined();
    expect(await requestsOf(ok.name, 'tuning-phi-3')).toHaveLength(0);
    expect(condition(await kube.get(Workspaces, 'tuning-phi-3', ok.name), ConditionType.WorkspaceSucceeded)).toMatchObject({ status: 'True', reason: 'TuningSucceeded' });

    // A changed tuning spec runs the Job again: a new Job (new uid, new revision), a node again.
    const firstJob = job.metadata?.uid;
    // The first run's last progress, as its runner would have left it.
    await kube.mergePatch(Resources.ConfigMap, { name: 'tuning-phi-3-tuning-progress', namespace: ok.name }, { data: { 'progress.json': JSON.stringify({ phase: 'Succeeded', training: { step: 30 } }) } });
    const before = await kube.get(Workspaces, 'tuning-phi-3', ok.name);
    await kube.mergePatch(Workspaces, before.metadata, { tuning: { input: { urls: ['http://localhost:8080/train-v2.parquet'] } } });
    const rerun = await eventually(
      async () => {
        const j = (await kube.find(Resources.Job, 'tuning-phi-3', ok.name)) as unknown as V1Job | undefined;
        return j !== undefined && j.metadata?.uid !== firstJob && j;
      },
      { timeoutMs: 60_000, description: 'a new Job for the changed spec' },
    );
    expect(rerun.spec?.template.spec?.containers[0]?.env).toContainEqual({ name: 'DATA_URLS', value: 'http://localhost:8080/train-v2.parquet' });
    expect(((await kube.get(Resources.ConfigMap, 'tuning-phi-3-tuning-progress', ok.name)) as KubeObject & { data?: Record<string, string> }).data ?? {}).toEqual({});
    const again = await waitFor(ok.name, 'tuning-phi-3', 'Succeeded for generation 2', (w) => w.status?.state === 'Succeeded' && condition(w, ConditionType.WorkspaceSucceeded)?.observedGeneration === w.metadata.generation, 90_000);
    expect(again.metadata.generation).toBe(2);
    await eventually(async () => (await requestsOf(ok.name, 'tuning-phi-3')).length === 0, { timeoutMs: 30_000, description: 'the node request to be released again' });

    await kube.delete(Workspaces, { name: 'tuning-phi-3', namespace: ok.name });
    await eventually(async () => (await kube.find(Workspaces, 'tuning-phi-3', ok.name)) === undefined, { timeoutMs: 60_000, description: 'the Workspace to go' });
    await eventually(async () => (await kube.find(Resources.Job, 'tuning-phi-3', ok.name)) === undefined, { timeoutMs: 60_000, description: 'the Job to be collected' });
  }, 300_000);

  it('survives a controller restart mid-run: the same single Job runs to Succeeded', async () => {
    await create(ok.name, 'restarted');
    const first = await eventually(async () => ((await kube.find(Resources.Job, 'restarted', ok.name)) as unknown as V1Job | undefined)?.metadata?.uid ?? false, {
      timeoutMs: 90_000,
      description: 'the Job to be created',
    });
    // A crash, not a drain: nothing in flight may finish.
    await controllers[0]?.stop({ timeoutMs: 0 });
    controllers[0] = await startWorkspaceController(settings(ok.name, { tuningPodAnnotations: { [COMPLETE_AFTER_ANNOTATION]: '15s' } }), { kubeConfig: kubeConfig(), logger: silentLogger() });
    const ws = await waitFor(ok.name, 'restarted', 'state Succeeded', (w) => w.status?.state === 'Succeeded', 90_000);
    expect(condition(ws, ConditionType.WorkspaceSucceeded)?.status).toBe('True');
    const jobs = (await kube.list(Resources.Job, { namespace: ok.name })).filter((j) => j.metadata.name === 'restarted');
    expect(jobs.map((j) => j.metadata.uid)).toEqual([first]);
    await eventually(async () => (await requestsOf(ok.name, 'restarted')).length === 0, { timeoutMs: 30_000, description: 'the node request to be released' });
  }, 240_000);

  it('lets the Job’s ServiceAccount patch its own progress ConfigMap and nothing else; the progress shows in status.tuning', async () => {
    await create(ok.name, 'progress');
    await waitFor(ok.name, 'progress', 'state Running', (w) => w.status?.state === 'Running', 90_000);
    // What the runner does with the pod's token (apps/tuning-runner report/progress-configmap.ts):
    // a merge patch of progress.json, as the Job's ServiceAccount.
    const request = await transport.request<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${ok.name}/serviceaccounts/progress-tuning/token`,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    });
    const admin = kubeConfig();
    const cluster = admin.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no cluster');
    const asRunner = new KubeConfig();
    asRunner.loadFromOptions({ clusters: [cluster], users: [{ name: 'runner', token: request.status.token }], contexts: [{ name: 'runner', cluster: cluster.name, user: 'runner' }], currentContext: 'runner' });
    const runnerTransport = new RestClient(asRunner, { userAgent: 'tuning-runner-as-pod' });
    const runner = new KubeClient(runnerTransport, { fieldManager: 'tuning-runner' });
    const report = { phase: 'Training', startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), training: { step: 12, maxSteps: 30, epoch: 0.4, loss: 1.25 } };
    await runner.mergePatch(Resources.ConfigMap, { name: 'progress-tuning-progress', namespace: ok.name }, { data: { 'progress.json': JSON.stringify(report) } });
    await expect(runner.mergePatch(Resources.ConfigMap, { name: 'qlora-params-template', namespace: ok.name }, { data: { x: 'y' } })).rejects.toThrow(/forbidden/i);
    await expect(runner.list(Resources.Secret, { namespace: ok.name })).rejects.toThrow(/forbidden/i);
    await runnerTransport.close();
    const ws = await waitFor(ok.name, 'progress', 'status.tuning.step 12', (w) => w.status?.tuning?.step === 12, 10_000);
    expect(ws.status?.tuning).toMatchObject({ phase: 'Training', step: 12, maxSteps: 30, epoch: 0.4, loss: 1.25 });
    expect(condition(ws, ConditionType.WorkspaceSucceeded)?.message).toBe('tuning is running (Training, step 12/30, loss 1.25)');
    await waitFor(ok.name, 'progress', 'state Succeeded', (w) => w.status?.state === 'Succeeded', 60_000);
  }, 180_000);

  it('reports the runner’s InvalidDataset from its termination message, Failed, and releases the node', async () => {
    await create(failing.name, 'bad-rows');
    const ws = await waitFor(failing.name, 'bad-rows', 'state Failed', (w) => w.status?.state === 'Failed', 120_000);
    expect(condition(ws, ConditionType.WorkspaceSucceeded)).toMatchObject({ status: 'False', reason: 'InvalidDataset', message: 'train.parquet: row 3: messages[1].role: expected "user" or "assistant", got "bot"' });
    expect(condition(ws, ConditionType.JobStarted)?.status).toBe('True');
    expect(condition(ws, ConditionType.WorkspaceReady)?.message).toMatch(/^InvalidDataset: train\.parquet: row 3/);
    await eventually(async () => (await requestsOf(failing.name, 'bad-rows')).length === 0, { timeoutMs: 30_000, description: 'the node request to be released' });
  }, 180_000);
});
