/**
 * The seed's fine-tuning quick start end to end, with the REAL tuning-runner: the workspace
 * controller and the kwok provisioner as processes, the Workspace applied with kubectl, and the
 * tuning Job's pod run for real by a process kubelet of this run (harness/process-kubelet.ts):
 * the runner downloads a dolly-style parquet from a local HTTP server, trains, and pushes the
 * adapter image to a local registry (Debian's docker-registry, htpasswd auth) with a real
 * `kubernetes.io/dockerconfigjson` push Secret.
 *
 * The seed's YAML, its few rewrites (dataset URL, output image and Secret, qlora → lora: QLoRA
 * needs a CUDA GPU) and the tiny model standing in for phi-3's weights are stated once, in
 * harness/seed-tuning.ts, which the demo (tools/demo) shares. The namespace's
 * `lora-params-template` (the chart installs it; the controller would create Kaito's default)
 * names that model and a few training steps.
 *
 * Not covered here, as apps/workspace-controller/src/controllers/tuning/tuning.int.spec.ts covers
 * them: a URL to a private address and a missing push Secret (both refused before provisioning).
 */
import { ConditionType, type Workspace } from '@kaito-ts/api';
import { type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { join } from 'node:path';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { startKwokProvisionerProcess } from './harness/kwok-provisioner.js';
import { conditionOf, createNamespace, deleteNamespace, nodeRequestsOf, testKube, type TestKube, Workspaces } from './harness/kube.js';
import { kubectl, kubectlApply } from './harness/kubectl.js';
import type { ManagedProcess } from './harness/process.js';
import { claimNodes, type ProcessKubelet, RUN_AS_PROCESS_ANNOTATION, startProcessKubeletProcess } from './harness/process-kubelet.js';
import { type Registry, startRegistry } from './harness/registry.js';
import { runId } from './harness/repo.js';
import { tuningManifest, loraTemplate, tuningRunnerImage } from './harness/seed-tuning.js';
import { type DataServer, dollyRows, scratch, serveDatasets, writeChatJsonl, writeDollyParquet, writeTinyModel } from './harness/tuning-inputs.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { removeAllWorkspaces } from './harness/workspace.js';

const STEPS = 12;

const USER = 'pusher';
const PASSWORD = 'e2e-push-password';

interface Sample {
  readonly at: number;
  readonly state: string | undefined;
  readonly tuning: NonNullable<Workspace['status']>['tuning'];
}

describe('tuning with the real tuning-runner (the seed quick start)', () => {
  const run = runId();
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  const cloudNs = `e2e-tuning-cloud-${run}`;
  const kubeletName = `e2e-tuning-${run}`;
  const files = scratch('e2e-tuning-');
  let data: DataServer;
  let registry: Registry;
  let kubelet: ProcessKubelet | undefined;
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;
  let claim: ReturnType<typeof claimNodes> | undefined;
  const samples = new Map<string, Sample[]>();
  let sampling = true;
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (what: string): void => {
    timings[what] = Math.round((Date.now() - started) / 100) / 10;
  };

  const secret = (name: string, password: string): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(registry.dockerConfigJson(password)).toString('base64') },
    }) as KubeObject;

  /** Records every Workspace's state and status.tuning every 100 ms, from before it is applied. */
  async function sample(): Promise<void> {
    while (sampling) {
      const list = await kube.list(Workspaces, { namespace: ns }).catch(() => []);
      for (const ws of list) {
        const s = samples.get(ws.metadata.name) ?? [];
        s.push({ at: Date.now(), state: ws.status?.state, tuning: ws.status?.tuning });
        samples.set(ws.metadata.name, s);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function waitForState(name: string, state: 'Succeeded' | 'Failed', timeoutMs: number): Promise<Workspace> {
    return eventually(
      async () => {
        const ws = await kube.get(Workspaces, name, ns);
        return (ws.status?.state === 'Succeeded' || ws.status?.state === 'Failed') && ws;
      },
      { timeoutMs, intervalMs: 250, description: `${name} ${state}` },
    ).then((ws) => {
      // An end other than the one expected fails at once, with the reason (eventually would retry a throw).
      expect({ state: ws.status?.state, condition: conditionOf(ws, ConditionType.WorkspaceSucceeded) }).toMatchObject({ state });
      return ws;
    });
  }

  beforeAll(async () => {
    k = testKube(`e2e-tuning-${run}`);
    kube = k.kube;
    ns = await createNamespace(kube, 'e2e-tuning');
    const model = join(files.dir, 'model');
    const parquet = join(files.dir, 'train-00000-of-00001.parquet');
    const bad = join(files.dir, 'train-bad-row.jsonl');
    const rows = dollyRows(24);
    writeDollyParquet(parquet, rows);
    // Line 3's second message has a role the chat format does not know.
    writeChatJsonl(bad, rows.slice(0, 5).map((r, i) => (i === 2 ? [r[0]!, { role: 'bot', content: r[1]!.content }] : r)));
    // The tuning-runner "image": a shim that runs it from source (harness/seed-tuning.ts).
    [data, registry, kubelet] = await Promise.all([
      serveDatasets([parquet, bad]),
      startRegistry(USER, PASSWORD),
      startProcessKubeletProcess({
        name: kubeletName,
        logName: `tuning-${run}-process-kubelet`,
        images: [tuningRunnerImage(files.dir)],
      }),
      Promise.resolve(writeTinyModel(model)),
    ]);
    mark('inputs, registry and kubelet ready');
    await kube.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lora-params-template', namespace: ns }, data: { 'training_config.yaml': loraTemplate(model, STEPS) } } as KubeObject);
    await kube.create(Resources.Secret, secret('registry-push', PASSWORD));
    await kube.create(Resources.Secret, secret('registry-push-wrong', 'not-the-password'));
    claim = claimNodes(kube, { namespace: ns, workspaces: new Set(['workspace-tuning-phi-3', 'tuning-wrong-password', 'tuning-bad-row']), kubelet: kubeletName });
    [provisioner, controller] = await Promise.all([
      startKwokProvisionerProcess({ api: 'nodeclaim', cloudNamespace: cloudNs, workspaceNamespace: ns, logName: `tuning-${run}-provisioner`, launchDelay: '500ms' }),
      startWorkspaceControllerProcess({
        nodeApi: 'nodeclaim',
        namespaces: [ns],
        logName: `tuning-${run}-workspace-controller`,
        extraArgs: [
          '--tuning-allow-loopback-inputs=true',
          `--tuning-insecure-registry=${registry.host}`,
          // Any value but "true": only the node's own kubelet (this run's) runs the pod.
          `--tuning-pod-annotation=${RUN_AS_PROCESS_ANNOTATION}=${kubeletName}`,
        ],
      }),
    ]);
    mark('controller and provisioner up');
    void sample();
    // All three at once: the failures run while the seed's Workspace trains.
    await kubectlApply(namespaced(tuningManifest({ name: 'workspace-tuning-phi-3', url: data.url('train-00000-of-00001.parquet'), image: `${registry.host}/adapters/phi-3:0.0.1`, pushSecret: 'registry-push' })));
    await kubectlApply(namespaced(tuningManifest({ name: 'tuning-wrong-password', url: data.url('train-00000-of-00001.parquet'), image: `${registry.host}/adapters/wrong:0.0.1`, pushSecret: 'registry-push-wrong' })));
    await kubectlApply(namespaced(tuningManifest({ name: 'tuning-bad-row', url: data.url('train-bad-row.jsonl'), image: `${registry.host}/adapters/bad-row:0.0.1`, pushSecret: 'registry-push' })));
    mark('applied');
  }, 240_000);

  /** kubectl apply -n: the seed's YAML has no namespace. */
  const namespaced = (yaml: string): string => yaml.replace('metadata:\n', `metadata:\n  namespace: ${ns}\n`);

  afterAll(async () => {
    sampling = false;
    claim?.stop();
    process.stdout.write(`tuning e2e timings (s since start): ${JSON.stringify(timings)}\n`);
    await removeAllWorkspaces(kube, ns).catch(() => undefined);
    await controller?.stop();
    await provisioner?.stop();
    await kubelet?.stop();
    await registry?.stop();
    await data?.close();
    await deleteNamespace(kube, ns);
    await deleteNamespace(kube, cloudNs);
    await k.close();
    files.remove();
  }, 120_000);

  it('runs the seed Workspace Pending → Running → Succeeded, shows progress while running, and records the digest, which pulls back', async () => {
    let yamlWhileRunning = '';
    const succeeded = await eventually(
      async () => {
        const ws = await kube.get(Workspaces, 'workspace-tuning-phi-3', ns);
        if (yamlWhileRunning === '' && ws.status?.state === 'Running' && ws.status.tuning?.phase !== undefined) {
          yamlWhileRunning = (await kubectl(['get', 'workspace', 'workspace-tuning-phi-3', '-n', ns, '-o', 'yaml'])).stdout;
        }
        return (ws.status?.state === 'Succeeded' || ws.status?.state === 'Failed') && ws;
      },
      { timeoutMs: 400_000, intervalMs: 200, description: 'the seed tuning Workspace Succeeded' },
    );
    expect({ state: succeeded.status?.state, condition: conditionOf(succeeded, ConditionType.WorkspaceSucceeded)?.message }).toMatchObject({ state: 'Succeeded' });
    mark('seed Succeeded');

    // The sampler's record, ended by what the wait above read last.
    const seen = [...(samples.get('workspace-tuning-phi-3') ?? []), { at: Date.now(), state: succeeded.status?.state, tuning: succeeded.status?.tuning }];
    const states = seen.map((s) => s.state ?? 'none').filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(states.filter((s) => s !== 'none')).toEqual(['Pending', 'Running', 'Succeeded']);
    // Progress, while running: the runner's phase, and training steps as they happen.
    const running = seen.filter((s) => s.state === 'Running' && s.tuning !== undefined);
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((s) => s.tuning?.step !== undefined && s.tuning.maxSteps === STEPS && s.tuning.step < STEPS)).toBe(true);
    expect(yamlWhileRunning).toMatch(/state: Running/);
    expect(yamlWhileRunning).toMatch(/tuning:\n\s+.*phase: \w+/);

    expect(succeeded.status?.tuning).toMatchObject({ phase: 'Succeeded', image: `${registry.host}/adapters/phi-3:0.0.1`, step: STEPS });
    const digest = succeeded.status?.tuning?.digest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const type of [ConditionType.InputsReady, ConditionType.JobStarted, ConditionType.WorkspaceSucceeded, ConditionType.WorkspaceReady]) {
      expect(conditionOf(succeeded, type)).toMatchObject({ status: 'True' });
    }
    expect(conditionOf(succeeded, ConditionType.ResourceReady)).toMatchObject({ status: 'False', reason: 'NodesReleased' });
    const table = (await kubectl(['get', 'workspace', 'workspace-tuning-phi-3', '-n', ns])).stdout;
    expect(table).toMatch(/workspace-tuning-phi-3\s+Standard_NC6s_v3\s/);

    // The image pulls back by that digest.
    const pulled = await registry.manifest('adapters/phi-3', digest);
    expect(pulled).toMatchObject({ status: 200, digest });
    expect((JSON.parse(pulled.body) as { layers?: unknown[] }).layers?.length).toBeGreaterThan(0);
    // The node request is released once the Job ended.
    await eventually(async () => (await nodeRequestsOf(kube, 'nodeclaim', ns)).filter((r) => r.metadata.labels?.['kaito.sh/workspace'] === 'workspace-tuning-phi-3').length === 0, {
      timeoutMs: 30_000,
      description: 'the seed Workspace node request released',
    });
    expect(claim?.claimed.size).toBeGreaterThan(0);
  }, 420_000);

  it('serves the pushed image as an inference adapter: the StatefulSet renders its puller init container', async () => {
    const digest = (await kube.get(Workspaces, 'workspace-tuning-phi-3', ns)).status?.tuning?.digest ?? '';
    expect(digest).not.toBe('');
    const image = `${registry.host}/adapters/phi-3@${digest}`;
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'kaito.sh/v1beta1',
        kind: 'Workspace',
        metadata: { name: 'phi-3-with-adapter', namespace: ns },
        resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: 'phi-3-with-adapter' } } },
        inference: { preset: { name: 'phi-3-mini-128k-instruct' }, adapters: [{ source: { name: 'tuned-phi-3', image, imagePullSecrets: ['registry-push'] } }] },
      }),
    );
    const sts = await eventually(async () => ((await kube.find(Resources.StatefulSet, 'phi-3-with-adapter', ns)) as (KubeObject & V1StatefulSet) | undefined) ?? false, {
      timeoutMs: 60_000,
      description: 'the inference StatefulSet',
    });
    expect(sts.spec?.template.spec?.initContainers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: expect.stringMatching(/^puller-/),
          env: expect.arrayContaining([{ name: 'ADAPTER_IMAGE', value: image }]),
          volumeMounts: expect.arrayContaining([expect.objectContaining({ mountPath: expect.stringMatching(/^\/mnt\/adapter/) })]),
        }),
      ]),
    );
    mark('adapter rendered');
  }, 120_000);

  it.each([
    ['a wrong push password', 'tuning-wrong-password', 'PushUnauthorized', [/401|unauthori[sz]ed|denied/i, new RegExp(`${'127\\.0\\.0\\.1'}:\\d+`)]],
    ['a dataset with a bad row', 'tuning-bad-row', 'InvalidDataset', [/train-bad-row\.jsonl/, /line 3/, /messages\[1\]\.role/]],
  ] as const)('fails %s with the runner’s reason and message, and leaves no node request', async (_, name, reason, patterns) => {
    const ws = await waitForState(name, 'Failed', 400_000);
    mark(`${name} Failed`);
    const failed = conditionOf(ws, ConditionType.WorkspaceSucceeded);
    expect(failed).toMatchObject({ status: 'False', reason });
    for (const p of patterns) expect(failed?.message).toMatch(p);
    expect(failed?.message).not.toContain('not-the-password');
    expect(conditionOf(ws, ConditionType.WorkspaceReady)).toMatchObject({ status: 'False', message: expect.stringMatching(new RegExp(`^${reason}: `)) });
    expect(ws.status?.tuning?.digest).toBeUndefined();
    await eventually(async () => (await nodeRequestsOf(kube, 'nodeclaim', ns)).filter((r) => r.metadata.labels?.['kaito.sh/workspace'] === name).length === 0, {
      timeoutMs: 30_000,
      description: `${name}: node request released`,
    });
  }, 420_000);
});
