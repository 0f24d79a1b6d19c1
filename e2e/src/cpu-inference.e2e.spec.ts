/**
 * Inference with a tuned adapter, served for real on this machine: the workspace controller and
 * the kwok provisioner as processes, a process kubelet of this run serving the provisioned node,
 * and an adapter image in a local registry (Debian's docker-registry, htpasswd) made by the REAL
 * tuning-runner (harness/adapter-image.ts: a few CPU training steps on the tiny model, then its
 * own push). The inference Workspace names that image; the controller renders the pod exactly as
 * for a GPU cluster, and the process kubelet runs it:
 * - the adapter puller init container runs Kaito's own puller script with the skopeo stand-in
 *   (`skopeo copy docker://… dir:…` on the tuning-runner's OCI client), pulling the image by
 *   digest with the Workspace's pull Secret into /mnt/adapter/<name>;
 * - the inference container runs the rendered command (`python3 /workspace/vllm/inference_api.py
 *   --model=microsoft/Phi-3-mini-128k-instruct … --enable-lora`) against the CPU stand-in for
 *   Kaito's inference image (tools/cluster/images/kaito-base): transformers + peft on the CPU,
 *   serving the tiny model the adapter was trained on in place of phi-3's weights, which cannot be
 *   downloaded or run without a GPU here. It says so in every answer.
 * Then the seed's `POST /chat {"prompt": …}` and an OpenAI chat completion are sent to where the
 * Workspace's Service (port 80 → 5000) leads (harness/endpoint.ts: there is no kube-proxy here).
 */
import { ConditionType } from '@kaito-ts/api';
import { type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tuneAdapterImage, type TunedImage } from './harness/adapter-image.js';
import { serviceEndpoint } from './harness/endpoint.js';
import { startKwokProvisionerProcess } from './harness/kwok-provisioner.js';
import { conditionOf, createNamespace, deleteNamespace, testKube, type TestKube } from './harness/kube.js';
import { kubectlApply, workspaceTable } from './harness/kubectl.js';
import type { ManagedProcess } from './harness/process.js';
import { claimNodes, cpuInferenceImages, type ProcessKubelet, RUN_AS_PROCESS_ANNOTATION, startProcessKubeletProcess } from './harness/process-kubelet.js';
import { type Registry, startRegistry } from './harness/registry.js';
import { logDir, runId } from './harness/repo.js';
import { scratch, trainerPython, writeTinyModel } from './harness/tuning-inputs.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { removeAllWorkspaces, waitForReady } from './harness/workspace.js';
import { lockHostPort } from './harness/port-lock.js';

const WORKSPACE = 'workspace-phi-3-adapter';
const ADAPTER = 'tuned-phi-3';
const PRESET = 'phi-3-mini-128k-instruct';
/** The seed's question, as its quick start sends it to the Service with curl. */
const SEED_PROMPT = 'What is Kubernetes?';
const USER = 'puller';
const PASSWORD = 'e2e-pull-password';

interface ChatAnswer {
  readonly Result: string;
  readonly model: string;
  readonly kaito_ts: { readonly standin: string; readonly adapters: readonly string[]; readonly stands_in_for: string | null };
}
interface Completion {
  readonly object: string;
  readonly model: string;
  readonly choices: readonly { readonly message: { readonly role: string; readonly content: string }; readonly finish_reason: string }[];
  readonly usage: { readonly completion_tokens: number };
  readonly kaito_ts: ChatAnswer['kaito_ts'];
}

/** The stand-in listens where the pod spec says, this machine's port 5000: say so at once when it is taken. */
async function expectPortFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`port ${port} on 127.0.0.1 is in use (${err.message}): the inference pod's server listens there; stop what holds it (another inference pod or demo)`)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

describe('inference of a tuned adapter image on the CPU stand-in (process kubelet, local registry)', () => {
  const run = runId();
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  const cloudNs = `e2e-cpu-inference-cloud-${run}`;
  const kubeletName = `e2e-cpu-inference-${run}`;
  const files = scratch('e2e-cpu-inference-');
  let registry: Registry | undefined;
  let tuned: TunedImage;
  let kubelet: ProcessKubelet | undefined;
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;
  let claim: ReturnType<typeof claimNodes> | undefined;
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (what: string): void => {
    timings[what] = Math.round((Date.now() - started) / 100) / 10;
  };

  let releasePort: (() => void) | undefined;

  beforeAll(async () => {
    k = testKube(`e2e-cpu-inference-${run}`);
    kube = k.kube;
    releasePort = await lockHostPort(5000, 600_000);
    await expectPortFree(5000);
    ns = await createNamespace(kube, 'e2e-cpu-inference');
    const model = join(files.dir, 'model');
    writeTinyModel(model);
    registry = await startRegistry(USER, PASSWORD);
    const reg = registry;
    [tuned, kubelet, provisioner, controller] = await Promise.all([
      tuneAdapterImage({
        image: `${reg.host}/adapters/phi-3:0.0.1`,
        registryHost: reg.host,
        dockerConfigJson: reg.dockerConfigJson(),
        modelDir: model,
        work: join(files.dir, 'tuning'),
        logFile: join(logDir(), `cpu-inference-${run}-tuning-runner.log`),
      }),
      startProcessKubeletProcess({ name: kubeletName, logName: `cpu-inference-${run}-process-kubelet`, images: cpuInferenceImages({ trainerPython: trainerPython(), model }) }),
      startKwokProvisionerProcess({ api: 'nodeclaim', cloudNamespace: cloudNs, workspaceNamespace: ns, logName: `cpu-inference-${run}-provisioner`, launchDelay: '500ms' }),
      startWorkspaceControllerProcess({
        nodeApi: 'nodeclaim',
        namespaces: [ns],
        logName: `cpu-inference-${run}-workspace-controller`,
        // Any value but "true": only the claimed node's kubelet (this run's) runs the pods.
        extraArgs: [`--inference-pod-annotation=${RUN_AS_PROCESS_ANNOTATION}=${kubeletName}`],
      }),
    ]);
    mark('adapter image pushed; kubelet, provisioner and controller up');
    await kube.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'registry-pull', namespace: ns },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(reg.dockerConfigJson()).toString('base64') },
    } as KubeObject);
    claim = claimNodes(kube, { namespace: ns, workspaces: new Set([WORKSPACE]), kubelet: kubeletName });
  }, 840_000);

  afterAll(async () => {
    claim?.stop();
    process.stdout.write(`cpu inference e2e timings (s since start): ${JSON.stringify(timings)}\n`);
    await removeAllWorkspaces(kube, ns, 90_000).catch(() => undefined);
    await controller?.stop();
    await provisioner?.stop();
    // The containers' own logs, next to the processes' (kept by the reporter when a test failed).
    if (kubelet !== undefined && existsSync(join(kubelet.dir, 'logs'))) cpSync(join(kubelet.dir, 'logs'), join(logDir(), `cpu-inference-${run}-containers`), { recursive: true });
    await kubelet?.stop();
    await registry?.stop();
    await deleteNamespace(kube, ns);
    await deleteNamespace(kube, cloudNs);
    await k.close();
    files.remove();
    releasePort?.();
  }, 180_000);

  const podLog = (pod: V1Pod, container: string): string =>
    readFileSync(join(kubelet?.dir ?? '', 'logs', `${ns}_${pod.metadata?.name}_${pod.metadata?.uid}`, container, '0.log'), 'utf8');

  it('pulls the tuned image into /mnt/adapter, is WorkspaceReady, and answers the seed’s /chat and an OpenAI chat completion with the adapter', async () => {
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'kaito.sh/v1beta1',
        kind: 'Workspace',
        metadata: { name: WORKSPACE, namespace: ns },
        resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: WORKSPACE } } },
        inference: { preset: { name: PRESET }, adapters: [{ source: { name: ADAPTER, image: tuned.image, imagePullSecrets: ['registry-pull'] } }] },
      }),
    );
    mark('applied');
    const ws = await waitForReady(kube, WORKSPACE, ns, 240_000);
    mark('WorkspaceReady');
    expect(conditionOf(ws, ConditionType.InferenceReady)).toMatchObject({ status: 'True' });
    expect((await workspaceTable(WORKSPACE, ns)).cells.slice(0, 5)).toEqual([WORKSPACE, 'Standard_NC6s_v3', 'True', 'True', 'True']);
    expect(claim?.claimed.size).toBe(1);

    // The pod is the controller's, unchanged: the rendered vLLM command with the adapter.
    const sts = (await kube.get(Resources.StatefulSet, WORKSPACE, ns)) as KubeObject & V1StatefulSet;
    const container = sts.spec?.template.spec?.containers[0];
    expect([...(container?.command ?? []), ...(container?.args ?? [])]).toEqual(
      expect.arrayContaining(['python3', '/workspace/vllm/inference_api.py', '--model=microsoft/Phi-3-mini-128k-instruct', `--served-model-name=${PRESET}`, '--port=5000', '--enable-lora']),
    );
    const pod = (await kube.get(Resources.Pod, `${WORKSPACE}-0`, ns)) as KubeObject & V1Pod;
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 0 });

    // The puller pulled the image by digest; what landed in /mnt/adapter is what the runner trained.
    const puller = pod.status?.initContainerStatuses?.[0];
    expect(puller).toMatchObject({ name: `puller-${ADAPTER}`, state: { terminated: { exitCode: 0 } } });
    expect(podLog(pod, `puller-${ADAPTER}`)).toContain(`adapter ${ADAPTER} pulled from ${tuned.image} into /mnt/adapter/${ADAPTER}`);
    const mounted = join(kubelet?.dir ?? '', 'pods', pod.metadata?.uid ?? '', 'volumes', 'adapter-volume', ADAPTER);
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) expect(readFileSync(join(mounted, f))).toEqual(readFileSync(join(tuned.adapterDir, f)));
    const serverLog = podLog(pod, WORKSPACE);
    expect(serverLog).toContain("CPU stand-in for Kaito's vLLM inference image");
    expect(serverLog).toMatch(new RegExp(`"message":"model loaded".*"name":"${ADAPTER}","path":"/mnt/adapter/${ADAPTER}"`));

    // Through the Workspace's Service: port 80 → targetPort 5000 on pod 0.
    const url = await serviceEndpoint(kube, WORKSPACE, ns, 80);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string; parent: string | null }[] };
    expect(models.data.map((m) => [m.id, m.parent])).toEqual([
      [PRESET, null],
      [ADAPTER, PRESET],
    ]);

    const seed = await post<ChatAnswer>(`${url}/chat`, { prompt: SEED_PROMPT });
    mark('/chat answered');
    expect(seed.Result.startsWith(SEED_PROMPT)).toBe(true);
    expect(seed.Result.length).toBeGreaterThan(SEED_PROMPT.length);
    expect(seed).toMatchObject({ model: ADAPTER, kaito_ts: { adapters: [ADAPTER], stands_in_for: 'microsoft/Phi-3-mini-128k-instruct' } });
    expect(seed.kaito_ts.standin).toContain("CPU stand-in for Kaito's vLLM inference image");

    const openai = await post<Completion>(`${url}/v1/chat/completions`, { model: ADAPTER, messages: [{ role: 'user', content: SEED_PROMPT }], max_tokens: 24, temperature: 0 });
    mark('/v1/chat/completions answered');
    expect(openai).toMatchObject({ object: 'chat.completion', model: ADAPTER, kaito_ts: { adapters: [ADAPTER] } });
    expect(openai.choices[0]?.message.role).toBe('assistant');
    expect(openai.usage.completion_tokens).toBeGreaterThan(0);
    process.stdout.write(`the seed's /chat answered: ${JSON.stringify(seed.Result)}\nthe OpenAI chat completion answered: ${JSON.stringify(openai.choices[0]?.message.content)}\n`);
  }, 300_000);

  it('serves the same adapter with the transformers runtime (accelerate launch …/tfs/inference_api.py), merged by its strength', async () => {
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'kaito.sh/v1beta1',
        kind: 'Workspace',
        metadata: { name: WORKSPACE, namespace: ns, annotations: { 'kaito.sh/runtime': 'transformers' } },
        resource: { instanceType: 'Standard_NC6s_v3', labelSelector: { matchLabels: { apps: WORKSPACE } } },
        inference: { preset: { name: PRESET }, adapters: [{ source: { name: ADAPTER, image: tuned.image, imagePullSecrets: ['registry-pull'] }, strength: '0.5' }] },
      }),
    );
    const pod = await eventually(
      async () => {
        const p = (await kube.find(Resources.Pod, `${WORKSPACE}-0`, ns)) as (KubeObject & V1Pod) | undefined;
        const ready = p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return p !== undefined && p.spec?.containers[0]?.command?.[0] === 'accelerate' && ready === true && p;
      },
      { timeoutMs: 240_000, intervalMs: 500, description: 'the transformers pod Ready' },
    );
    mark('transformers pod Ready');
    expect(pod.spec?.containers[0]?.env).toEqual(expect.arrayContaining([{ name: ADAPTER, value: '0.5' }]));
    expect(podLog(pod, WORKSPACE)).toMatch(new RegExp(`"name":"${ADAPTER}","path":"/mnt/adapter/${ADAPTER}","weight":0.5`));
    const url = await serviceEndpoint(kube, WORKSPACE, ns, 80);
    const seed = await post<ChatAnswer>(`${url}/chat`, { prompt: SEED_PROMPT });
    expect(seed.Result.startsWith(SEED_PROMPT)).toBe(true);
    expect(seed.kaito_ts).toMatchObject({ adapters: [ADAPTER] });
    expect(seed.kaito_ts.standin).toContain("CPU stand-in for Kaito's transformers inference image");
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['microsoft/Phi-3-mini-128k-instruct']);
    mark('transformers /chat answered');
  }, 300_000);
});
