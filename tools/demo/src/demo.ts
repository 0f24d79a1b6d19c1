/**
 * The demo: the seed's fine-tuning quick start on this machine, then serving the tuned adapter
 * and asking it a question, as the seed's last step does with curl. Seven phases, each one a
 * function below; every process it starts is stopped at the end (also on Ctrl-C or a failure),
 * or kept running with `--keep` until Ctrl-C.
 *
 * Said plainly (the output says it too):
 * - the "cloud" is local: the control plane of tools/cluster, the ARM + Entra simulator in place
 *   of Azure, Debian's docker-registry in place of ACR, a local HTTP server in place of Hugging
 *   Face's dataset URL;
 * - the model is the trainer's tiny randomly initialised model, standing in for the preset's
 *   weights, which cannot be downloaded here; so the answers are not meaningful text;
 * - `method: qlora` becomes `lora`: QLoRA needs a CUDA GPU (the trainer refuses it on CPU);
 * - the inference image is a small CPU server (transformers) standing in for the vLLM image,
 *   which needs a GPU.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ConditionType, Reason, type Workspace } from '@kaito-ts/api';
import { clusterPaths, down, installRepoCrds, loadKubeConfig, status as clusterStatus, up } from '@kaito-ts/cluster';
import { type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';
import {
  claimNodes,
  conditionOf,
  cpuInferenceImages,
  dollyRows,
  kubectl,
  kubectlApply,
  loraTemplate,
  type ManagedProcess,
  type ProcessKubelet,
  type Registry,
  releaseChartIdentities,
  RUN_AS_PROCESS_ANNOTATION,
  SEED_TUNING_NAME,
  SEED_TUNING_YAML,
  serveDatasets,
  serviceEndpoint,
  startArmSimulatorProcess,
  startGpuProvisionerProcess,
  startProcessKubeletProcess,
  startRegistry,
  startWorkspaceControllerProcess,
  testKube,
  trainerPython,
  tuningManifest,
  tuningRunnerImage,
  type DataServer,
  type RunningArmSimulator,
  type TestKube,
  Workspaces,
  writeDollyParquet,
  writeTinyModel,
} from '@kaito-ts/e2e';
import type { V1Job, V1Node, V1Pod } from '@kubernetes/client-node';
import { type Display, lineDiff, seconds } from './display.js';
import { commandLine, ProcessRecord, stopRecordedProcesses } from './previous-run.js';
import { DemoFailure, Interrupted, pause, throwIfAborted, until } from './wait.js';

export const PHASES = 7;
/** The seed's Workspaces have no namespace: the demo's cluster is its own, so they go to `default`. */
const NAMESPACE = 'default';
const PUSH_SECRET = 'registry-push';
const PUSH_USER = 'demo';
const ADAPTER_REPOSITORY = 'adapters/phi-3';
const KUBELET_NAME = 'demo-gpu-nodes';
const DATASET_FILE = 'train-00000-of-00001.parquet';

export interface DemoOptions {
  readonly cluster: string;
  /** Training steps (the tiny model needs few). */
  readonly steps: number;
  /** `<cache>/demo/<cluster>`: the process record, cached inputs, the kubelet folder, the logs. */
  readonly stateDir: string;
  readonly display: Display;
  readonly signal: AbortSignal;
}

/** What the demo saw, for its summary and the e2e test (which reads the printed lines). */
export interface DemoResult {
  digest: string;
  image: string;
  answers: { chat?: string; completions?: string };
}

/** Everything the run started, stopped in reverse order by `cleanUp`. */
interface Running {
  kube?: TestKube;
  sim?: RunningArmSimulator;
  registry?: Registry;
  data?: DataServer;
  kubelet?: ProcessKubelet;
  controller?: ManagedProcess;
  provisioner?: ManagedProcess;
  claim?: ReturnType<typeof claimNodes>;
  clusterUp?: boolean;
}

export class Demo {
  readonly #o: DemoOptions;
  readonly #d: Display;
  readonly #record: ProcessRecord;
  readonly #logs: string;
  readonly #r: Running = {};
  readonly result: DemoResult = { digest: '', image: '', answers: {} };

  constructor(o: DemoOptions) {
    this.#o = o;
    this.#d = o.display;
    this.#record = new ProcessRecord(join(o.stateDir, 'processes.json'));
    this.#logs = join(o.stateDir, 'logs');
  }

  get logDir(): string {
    return this.#logs;
  }

  #log(name: string): string {
    return join(this.#logs, `${name}.log`);
  }

  get #kube(): KubeClient {
    if (this.#r.kube === undefined) throw new Error('no cluster client yet');
    return this.#r.kube.kube;
  }

  /** Phases 1–6. The caller then holds on with --keep (`holdUntilInterrupted`) and runs `cleanUp`, phase 7. */
  async run(): Promise<DemoResult> {
    await this.#phase(1, 'local cloud: control plane, ARM + Entra simulator, registry, dataset server', () => this.#localCloud());
    await this.#phase(2, 'operators: workspace-controller and gpu-provisioner as their charts’ ServiceAccounts', () => this.#operators());
    await this.#phase(3, 'apply the seed’s tuning Workspace', () => this.#applyTuning());
    await this.#phase(4, 'a GPU node through gpu-provisioner (NodeClaim → AKS agent pool → Node → Job)', () => this.#provisioning());
    await this.#phase(5, 'training with the real tuning-runner, adapter pushed', () => this.#training());
    await this.#phase(6, 'serve the tuned adapter and ask it', () => this.#serving());
    return this.result;
  }

  async #phase(n: number, title: string, body: () => Promise<string | undefined>): Promise<void> {
    throwIfAborted(this.#o.signal);
    this.#d.startPhase(n, title);
    const summary = await body();
    this.#d.endPhase(summary);
  }

  #until<T>(what: string, check: () => Promise<T | undefined>, o: { timeoutMs: number; log?: string; intervalMs?: number }): Promise<T> {
    return until(what, check, { ...o, signal: this.#o.signal, show: (w) => this.#d.waitFor(w) });
  }

  // ---- phase 1 ----------------------------------------------------------------------------

  async #localCloud(): Promise<string> {
    const d = this.#d;
    // A previous run killed before it could clean up: its processes, then its cluster.
    const stopped = await stopRecordedProcesses(join(this.#o.stateDir, 'processes.json'));
    if (stopped.length > 0) d.info(`stopped what a previous run left running: ${stopped.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
    if ((await clusterStatus({ name: this.#o.cluster })).exists) {
      d.waitFor(`the previous run's cluster ${this.#o.cluster} to stop`);
      await down({ name: this.#o.cluster, log: () => undefined });
      d.info(`removed the cluster ${this.#o.cluster} a previous run left`);
    }
    // A pod process of a killed run may hold the port still: phase 2's kubelet sweeps those.
    await this.#checkInferencePort({ exceptOurPods: true });
    rmSync(this.#logs, { recursive: true, force: true });
    mkdirSync(this.#logs, { recursive: true });
    // The harness (shared with the e2e tier) reads these two.
    process.env['KAITO_TS_E2E_LOGS'] = this.#logs;

    d.waitFor('the control plane: etcd, kube-apiserver, controller-manager, scheduler, kwok');
    const t0 = Date.now();
    this.#r.clusterUp = true;
    const cluster = await up({ name: this.#o.cluster, log: (line) => d.info(line) });
    process.env['KUBECONFIG'] = cluster.state.kubeconfig;
    const crds = await installRepoCrds(loadKubeConfig(cluster.state.kubeconfig));
    const controlPlane = seconds(Date.now() - t0);
    d.info(`control plane ${this.#o.cluster} up at ${cluster.state.server} in ${controlPlane}; CRDs: ${crds.join(', ')}`);
    this.#r.kube = testKube('kaito-ts-demo');
    throwIfAborted(this.#o.signal);

    d.waitFor('the ARM + Entra simulator, the registry and the dataset server');
    const inputs = join(this.#o.stateDir, 'inputs');
    // A fresh password per run; only the push Secret holds it.
    const password = randomBytes(18).toString('base64url');
    const [sim, registry, data] = await Promise.all([
      startArmSimulatorProcess({ logName: 'arm-simulator', createDelay: '2s' }),
      startRegistry(PUSH_USER, password),
      this.#datasetServer(inputs),
    ]);
    Object.assign(this.#r, { sim, registry, data });
    this.#record.add('arm-simulator', sim.process.pid);
    this.#record.add('docker-registry', registry.pid);
    d.info(`ARM + Entra simulator at ${sim.endpoint.url} (subscription ${sim.endpoint.subscriptionId}, AKS cluster ${sim.endpoint.clusterName} in ${sim.endpoint.location}); its agent pools become Nodes of the control plane`);
    d.info(`registry ${registry.host} (Debian's docker-registry, htpasswd user "${PUSH_USER}"), standing in for ACR`);
    d.info(`dataset server ${data.url(DATASET_FILE)}: a dolly-style parquet (24 rows, the schema of philschmid/dolly-15k-oai-style), standing in for Hugging Face`);
    return `the control plane took ${controlPlane}`;
  }

  /** The dataset (generated once, then reused from the state folder) behind a local HTTP server. */
  async #datasetServer(dir: string): Promise<DataServer> {
    const parquet = join(dir, DATASET_FILE);
    if (!existsSync(parquet)) {
      mkdirSync(dir, { recursive: true });
      writeDollyParquet(parquet, dollyRows(24));
    }
    return serveDatasets([parquet]);
  }

  // ---- phase 2 ----------------------------------------------------------------------------

  async #operators(): Promise<string | undefined> {
    const d = this.#d;
    const sim = this.#r.sim;
    const registry = this.#r.registry;
    if (sim === undefined || registry === undefined) throw new Error('phase 1 did not finish');
    // The tiny model stands in for the preset's weights (made once, then reused).
    const model = join(this.#o.stateDir, 'inputs', 'tiny-model');
    if (!existsSync(join(model, 'config.json'))) {
      d.waitFor('the tiny stand-in model to be written');
      writeTinyModel(model);
    }
    d.info(`the model: the trainer's tiny randomly initialised llama-style model (${model}), standing in for phi-3-mini-128k-instruct's weights, which cannot be downloaded here`);
    await this.#kube.create(Resources.ConfigMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'lora-params-template', namespace: NAMESPACE },
      data: { 'training_config.yaml': loraTemplate(model, this.#o.steps) },
    } as KubeObject);
    d.info(`ConfigMap lora-params-template: Kaito's lora template pointed at that model, ${this.#o.steps} steps, float32 for the CPU`);

    d.waitFor('the process kubelet that runs the GPU nodes’ pods as local processes');
    // A previous run's training work folders go; its kubelet folder stays, so this kubelet's
    // start sweeps any pod process a killed run left (the kubelet keeps their pid files there).
    rmSync(join(this.#o.stateDir, 'tuning'), { recursive: true, force: true });
    const kubelet = await startProcessKubeletProcess({
      name: KUBELET_NAME,
      logName: 'process-kubelet',
      // The tuning-runner "image", and Kaito's inference and skopeo images as the CPU stand-ins
      // (serving the tiny model the adapter was trained on).
      images: [tuningRunnerImage(join(this.#o.stateDir, 'tuning')), ...cpuInferenceImages({ trainerPython: trainerPython(), model })],
      dir: join(this.#o.stateDir, 'kubelet'),
    });
    this.#r.kubelet = kubelet;
    this.#record.add('process-kubelet', kubelet.process.pid);
    d.info(`process kubelet "${KUBELET_NAME}": the nodes gpu-provisioner brings up are its own, and their pods run as local processes (no containers, no GPU)`);

    d.waitFor('workspace-controller and gpu-provisioner to start');
    const [controller, provisioner] = await Promise.all([
      startWorkspaceControllerProcess({
        nodeApi: 'nodeclaim',
        namespaces: [NAMESPACE],
        logName: 'workspace-controller',
        // Loopback dataset URLs and a plain-HTTP registry are this machine's; the pod annotations
        // make the demo's process kubelet (and only it) run the tuning and inference pods.
        extraArgs: [
          '--tuning-allow-loopback-inputs=true',
          `--tuning-insecure-registry=${registry.host}`,
          `--tuning-pod-annotation=${RUN_AS_PROCESS_ANNOTATION}=${KUBELET_NAME}`,
          `--inference-pod-annotation=${RUN_AS_PROCESS_ANNOTATION}=${KUBELET_NAME}`,
        ],
      }),
      startGpuProvisionerProcess({ api: 'nodeclaim', simulator: sim, workspaceNamespace: NAMESPACE, logName: 'gpu-provisioner' }),
    ]);
    Object.assign(this.#r, { controller, provisioner });
    this.#record.add('workspace-controller', controller.pid);
    this.#record.add('gpu-provisioner', provisioner.pid);
    this.#r.claim = claimNodes(this.#kube, { namespace: NAMESPACE, workspaces: new Set([SEED_TUNING_NAME, INFERENCE_NAME]), kubelet: KUBELET_NAME });
    d.info('workspace-controller: runs as its chart’s ServiceAccount (helm template → ServiceAccount + RBAC applied, an impersonating kubeconfig), node API NodeClaim');
    d.info(
      `gpu-provisioner: runs as its chart’s ServiceAccount; signs in with workload identity — a projected ServiceAccount token (AZURE_FEDERATED_TOKEN_FILE) exchanged at the Entra simulator for an ARM token (client ${sim.endpoint.clientId})`,
    );
    return undefined;
  }

  // ---- phase 3 ----------------------------------------------------------------------------

  async #applyTuning(): Promise<string | undefined> {
    const d = this.#d;
    const registry = this.#r.registry;
    const data = this.#r.data;
    if (registry === undefined || data === undefined) throw new Error('phase 1 did not finish');
    await this.#kube.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: PUSH_SECRET, namespace: NAMESPACE },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(registry.dockerConfigJson()).toString('base64') },
    } as KubeObject);
    d.info(`Secret ${PUSH_SECRET} (kubernetes.io/dockerconfigjson) made from the local registry's credentials`);
    this.result.image = `${registry.host}/${ADAPTER_REPOSITORY}:0.0.1`;
    const manifest = tuningManifest({ url: data.url(DATASET_FILE), image: this.result.image, pushSecret: PUSH_SECRET });
    d.info('the seed’s tuning Workspace, as applied (- the seed’s line, + what this machine needs):');
    d.block(lineDiff(SEED_TUNING_YAML, manifest));
    d.info('rewritten: the dataset URL (→ the local server), the output image (→ the local registry) and its push Secret (the seed’s is a placeholder);');
    d.info('and method qlora → lora: QLoRA loads the model in 4 bit with bitsandbytes, which needs a CUDA GPU — the trainer refuses qlora on a CPU, and this machine has none.');
    d.waitFor('kubectl apply');
    const out = await kubectlApply(manifest);
    d.info(`$ kubectl apply -f workspace-tuning-phi-3.yaml\n    ${out.trim()}`);
    return undefined;
  }

  // ---- phase 4 ----------------------------------------------------------------------------

  readonly #seen = { table: '', claims: new Map<string, string>(), pools: new Map<string, string>(), nodes: new Set<string>(), jobs: new Set<string>(), pods: new Map<string, string>(), arm: 0, tuning: '' };

  /**
   * Prints what changed since the last look: `kubectl get workspace` (the seed's columns), the
   * NodeClaims and their lifecycle, the simulator's agent pools and its ARM writes, the Nodes
   * that joined, the Jobs and the pods. The demo's cluster holds only its own objects.
   */
  async #observe(): Promise<void> {
    const d = this.#d;
    const s = this.#seen;
    const table = await kubectl(['get', 'workspace', '-n', NAMESPACE]);
    if (table.code === 0) {
      const text = table.stdout.trimEnd();
      const key = text
        .split('\n')
        .map((l) => l.replace(/\s+\S+\s*$/, '')) // without AGE
        .join('\n');
      if (key !== s.table) {
        d.info(`$ kubectl get workspace${s.table !== '' ? '   (changed)' : ''}`);
        d.block(text);
        s.table = key;
      }
    }
    const claims = new Set<string>();
    for (const c of await this.#kube.list(Resources.NodeClaim, {})) {
      claims.add(c.metadata.name);
      const isTrue = new Set(((c as KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? []).filter((x) => x.status === 'True').map((x) => x.type));
      const reached = ['Launched', 'Registered', 'Initialized'].filter((t) => isTrue.has(t));
      const text = `${reached.length > 0 ? reached.join(', ') : 'created'} (for Workspace ${c.metadata.labels?.['kaito.sh/workspace'] ?? '?'})`;
      if (s.claims.get(c.metadata.name) !== text) {
        s.claims.set(c.metadata.name, text);
        d.info(`NodeClaim ${c.metadata.name}: ${text}`);
      }
    }
    for (const name of [...s.claims.keys()].filter((n) => !claims.has(n))) {
      s.claims.delete(name);
      d.info(`NodeClaim ${name}: deleted (released)`);
    }
    const sim = this.#r.sim;
    if (sim !== undefined) {
      const pools = await sim.agentPools();
      for (const p of pools) {
        if (s.pools.get(p.name) !== p.state) {
          s.pools.set(p.name, p.state);
          d.info(`AKS agent pool ${p.name} in the simulator: ${p.state}`);
        }
      }
      for (const name of [...s.pools.keys()].filter((n) => !pools.some((p) => p.name === n))) {
        s.pools.delete(name);
        d.info(`AKS agent pool ${name} in the simulator: deleted`);
      }
      const arm = (await sim.armRequests()).filter((r) => r.method !== 'GET');
      for (const r of arm.slice(s.arm)) d.info(`ARM ${r.method} ${r.path.replace(/^.*\/managedClusters\//, '…/managedClusters/').replace(/\?.*$/, '')} → ${r.status}`);
      s.arm = Math.max(s.arm, arm.length);
    }
    for (const n of (await this.#kube.list(Resources.Node, { labelSelector: 'kaito.sh/workspace' })) as Array<KubeObject & V1Node>) {
      const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      if (ready && !s.nodes.has(n.metadata.name)) {
        s.nodes.add(n.metadata.name);
        const gpus = n.status?.allocatable?.['nvidia.com/gpu'] ?? '0';
        d.info(`Node ${n.metadata.name} joined: Ready, ${n.metadata.labels?.['node.kubernetes.io/instance-type'] ?? '?'}, nvidia.com/gpu=${gpus}, providerID ${n.spec?.providerID ?? '?'}`);
      }
    }
    for (const j of (await this.#kube.list(Resources.Job, { namespace: NAMESPACE })) as Array<KubeObject & V1Job>) {
      if (!s.jobs.has(j.metadata.name)) {
        s.jobs.add(j.metadata.name);
        d.info(`Job ${j.metadata.name} created (image ${j.spec?.template.spec?.containers[0]?.image ?? '?'})`);
      }
    }
    for (const p of (await this.#kube.list(Resources.Pod, { namespace: NAMESPACE })) as Array<KubeObject & V1Pod>) {
      const phase = `${p.status?.phase ?? 'Pending'}${p.spec?.nodeName !== undefined ? ` on ${p.spec.nodeName}` : ''}`;
      if (s.pods.get(p.metadata.name) !== phase) {
        s.pods.set(p.metadata.name, phase);
        d.info(`Pod ${p.metadata.name}: ${phase}`);
      }
    }
  }

  async #workspace(name: string): Promise<Workspace> {
    return this.#kube.get(Workspaces, name, NAMESPACE);
  }

  /** Throws a DemoFailure (the wait ends at once) when the tuning Workspace Failed. */
  #failIfFailed(ws: Workspace): void {
    if (ws.status?.state !== 'Failed') return;
    const c = conditionOf(ws, ConditionType.WorkspaceSucceeded) ?? conditionOf(ws, ConditionType.WorkspaceReady);
    throw new DemoFailure(`the tuning Workspace Failed: ${c?.reason ?? '?'}: ${c?.message ?? ''}`, { log: this.#containerLogs() });
  }

  async #provisioning(): Promise<string> {
    await this.#until(
      'the NodeClaim, the agent pool and the Node, then the Job’s pod running on it',
      async () => {
        await this.#observe();
        const ws = await this.#workspace(SEED_TUNING_NAME);
        this.#failIfFailed(ws);
        const running = [...this.#seen.pods.values()].some((p) => p.startsWith('Running'));
        return running || ws.status?.tuning?.phase !== undefined || ws.status?.state === 'Succeeded' ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000, log: this.#log('gpu-provisioner') },
    );
    return 'the node joined and the Job’s pod runs on it';
  }

  // ---- phase 5 ----------------------------------------------------------------------------

  async #training(): Promise<string> {
    const d = this.#d;
    const registry = this.#r.registry;
    if (registry === undefined) throw new Error('phase 1 did not finish');
    const ws = await this.#until(
      'the trainer: steps and loss from the Workspace’s status.tuning, then the push',
      async () => {
        await this.#observe();
        const w = await this.#workspace(SEED_TUNING_NAME);
        const t = w.status?.tuning;
        if (t !== undefined) {
          const text = [
            t.phase !== undefined ? `phase ${t.phase}` : '',
            t.step !== undefined ? `step ${t.step}/${t.maxSteps ?? '?'}` : '',
            t.loss !== undefined ? `loss ${t.loss.toFixed(4)}` : '',
            t.epoch !== undefined ? `epoch ${t.epoch.toFixed(2)}` : '',
          ]
            .filter((x) => x !== '')
            .join(', ');
          if (text !== this.#seen.tuning) {
            this.#seen.tuning = text;
            d.info(`status.tuning: ${text}`);
          }
        }
        this.#failIfFailed(w);
        return w.status?.state === 'Succeeded' && w.status.tuning?.digest !== undefined ? w : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000, log: this.#containerLogs() },
    );
    const digest = ws.status?.tuning?.digest ?? '';
    this.result.digest = digest;
    d.info(`Succeeded: the adapter is ${ws.status?.tuning?.image ?? this.result.image} with digest ${digest}`);

    // Pulled back by digest: the registry answers with the same bytes the digest names.
    d.waitFor(`the registry to serve ${ADAPTER_REPOSITORY}@${digest}`);
    const pulled = await registry.manifest(ADAPTER_REPOSITORY, digest);
    const actual = `sha256:${createHash('sha256').update(pulled.body).digest('hex')}`;
    if (pulled.status !== 200 || actual !== digest) {
      throw new DemoFailure(`pulling ${ADAPTER_REPOSITORY}@${digest} back gave HTTP ${pulled.status} and content ${actual}`);
    }
    const layers = (JSON.parse(pulled.body) as { layers?: Array<{ size?: number; mediaType?: string }> }).layers ?? [];
    d.info(`pulled back by digest and verified (sha256 of the manifest = ${digest}); ${layers.length} layer(s): ${layers.map((l) => `${l.mediaType ?? '?'}, ${l.size ?? 0} B`).join('; ')}`);
    d.info(`WORKSPACEREADY is True: the seed’s “the model was deployed successfully”; the NodeClaim is released now that the Job is done (ResourceReady ${conditionOf(ws, ConditionType.ResourceReady)?.reason ?? '?'})`);
    return `digest ${digest.slice(0, 19)}…`;
  }

  /** Where the pods' output is once the run ended: the kubelet's container logs, copied at clean-up. */
  #containerLogs(): string {
    return join(this.#logs, 'pods');
  }

  /**
   * Fails at once, naming the holder, when the inference port is taken: the inference pod of
   * phase 6 listens on it, as Kaito's inference container does, and the process kubelet runs
   * pods on this machine's network, so the pod would only crash-loop minutes later.
   */
  async #checkInferencePort(o: { exceptOurPods?: boolean } = {}): Promise<void> {
    const holder = await portHolder(INFERENCE_PORT);
    if (holder === undefined) return;
    const ours = holder.environ.includes(`${KUBELET_MARKER_ENV}=${join(this.#o.stateDir, 'kubelet')}`);
    if (o.exceptOurPods === true && ours) return;
    throw new DemoFailure(
      `127.0.0.1:${INFERENCE_PORT} is in use (${holder.text}); the inference pod of phase 6 listens there, as Kaito's inference container does, and the local cluster's pods share this machine's network: stop that process (or let it finish) and run the demo again`,
    );
  }

  // ---- phase 6 ----------------------------------------------------------------------------

  async #serving(): Promise<string | undefined> {
    const d = this.#d;
    const registry = this.#r.registry;
    if (registry === undefined) throw new Error('phase 1 did not finish');
    await this.#checkInferencePort();
    const image = `${registry.host}/${ADAPTER_REPOSITORY}@${this.result.digest}`;
    const manifest = inferenceManifest(image);
    d.info('an inference Workspace serving the preset with the tuned adapter (the pushed image, by digest):');
    d.block(manifest);
    d.info('said plainly: the inference image (vLLM, which needs a GPU) runs here as a small CPU server — transformers, the tiny model plus the pulled adapter — that answers the same endpoints; a random model’s answers are not meaningful text.');
    d.waitFor('kubectl apply');
    const out = await kubectlApply(manifest);
    d.info(`$ kubectl apply -f workspace-phi-3-tuned.yaml\n    ${out.trim()}`);
    const t0 = Date.now();
    await this.#until(
      'a GPU node, the adapter pulled by the puller init container, the server Ready (WORKSPACEREADY True)',
      async () => {
        await this.#observe();
        const ws = await this.#workspace(INFERENCE_NAME);
        const inference = conditionOf(ws, ConditionType.InferenceReady);
        const hopeless: readonly string[] = [Reason.ContainerCrashLoopBackOff, Reason.ContainerOOMKilled, Reason.ImagePullBackOff];
        if (inference?.status === 'False' && hopeless.includes(inference.reason ?? '')) {
          throw new DemoFailure(`the inference Workspace is not ready: ${inference.reason ?? ''}: ${inference.message ?? ''}`, { log: this.#containerLogs() });
        }
        return conditionOf(ws, ConditionType.WorkspaceReady)?.status === 'True' ? ws : undefined;
      },
      { timeoutMs: 420_000, intervalMs: 1000, log: this.#containerLogs() },
    );
    d.info(`WORKSPACEREADY True in ${seconds(Date.now() - t0)}`);

    const base = await this.#until('the Service’s endpoint', async () => serviceEndpoint(this.#kube, INFERENCE_NAME, NAMESPACE), { timeoutMs: 30_000 });
    d.info(`Service ${INFERENCE_NAME} port 80 → the pod's port 5000, reached at ${base} (no kube-proxy here: the process kubelet runs the pod on this machine's network)`);

    // The seed's last step: POST /chat with {"prompt": …}.
    d.waitFor('the answer to the seed’s request');
    const chatBody = { prompt: QUESTION };
    d.info(`$ curl -s -X POST ${base}/chat -H "Content-Type: application/json" -d '${JSON.stringify(chatBody)}'`);
    const chat = await postJson(`${base}/chat`, chatBody);
    this.result.answers.chat = chatAnswer(chat);
    d.info(`answer (POST /chat, the seed's request): ${oneLine(this.result.answers.chat)}`);
    const note = standinNote(chat);
    if (note !== '') d.info(`  (${note})`);

    d.waitFor('the answer to an OpenAI chat/completions request');
    const models = (await getJson(`${base}/v1/models`)) as { data?: Array<{ id?: string }> };
    const model = models.data?.[0]?.id ?? 'phi-3-mini-128k-instruct';
    const completionsBody = { model, messages: [{ role: 'user', content: QUESTION }], max_tokens: 24 };
    d.info(`$ curl -s ${base}/v1/chat/completions -H "Content-Type: application/json" -d '${JSON.stringify(completionsBody)}'`);
    const completion = (await postJson(`${base}/v1/chat/completions`, completionsBody)) as { choices?: Array<{ message?: { content?: string } }> };
    this.result.answers.completions = completion.choices?.[0]?.message?.content ?? '';
    d.info(`answer (POST /v1/chat/completions): ${oneLine(this.result.answers.completions)}`);
    if (this.result.answers.chat.trim() === '' || this.result.answers.completions.trim() === '') {
      throw new DemoFailure('an endpoint answered with empty text', { log: this.#containerLogs() });
    }
    return `both endpoints answered (model ${model})`;
  }

  // ---- --keep and phase 7 -------------------------------------------------------------------

  /** How to look around while --keep holds everything up. */
  exploreHelp(): string[] {
    const kubeconfig = clusterPaths(this.#o.cluster).kubeconfig;
    return [
      'Everything is still running. In another terminal:',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get workspace',
      '  kubectl get nodeclaims,nodes,jobs,pods,statefulsets,services',
      `  kubectl get workspace ${SEED_TUNING_NAME} -o yaml`,
      `  curl -s -X POST http://127.0.0.1:${INFERENCE_PORT}/chat -H "Content-Type: application/json" -d '{"prompt":"${QUESTION}"}'`,
      `Logs: ${this.#logs} (one file per process)${this.#r.kubelet !== undefined ? `; the pods' output: ${join(this.#r.kubelet.dir, 'logs')}` : ''}`,
      'Press Ctrl-C here to stop everything and remove the cluster.',
    ];
  }

  /** Waits until Ctrl-C (SIGINT/SIGTERM/SIGHUP aborts the signal). */
  async holdUntilInterrupted(): Promise<void> {
    this.#d.waitFor('Ctrl-C (--keep)');
    try {
      for (;;) await pause(3_600_000, this.#o.signal);
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
    }
  }

  /**
   * Stops everything this run started, in reverse order, and takes the cluster down. Never
   * throws: each step that fails is reported and the next one still runs. Returns the steps that
   * failed (empty: nothing is left).
   */
  async cleanUp(log: (line: string) => void): Promise<string[]> {
    const r = this.#r;
    const failed: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        failed.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        log(`  could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    r.claim?.stop();
    if (r.kubelet !== undefined) {
      const logs = join(r.kubelet.dir, 'logs');
      if (existsSync(logs) && readdirSync(logs).length > 0) cpSync(logs, join(this.#logs, 'pods'), { recursive: true });
    }
    await step('stop workspace-controller', async () => r.controller?.stop());
    await step('stop gpu-provisioner', async () => r.provisioner?.stop());
    await step('stop the process kubelet and its pods', async () => r.kubelet?.stop());
    await step('stop the ARM simulator', async () => r.sim?.stop());
    await step('stop the registry', async () => r.registry?.stop());
    await step('stop the dataset server', async () => r.data?.close());
    if (r.kube !== undefined) {
      await step('check the chart identities', async () => {
        const refused = await releaseChartIdentities();
        if (refused.length > 0) throw new Error(`a process was refused by its chart's RBAC:\n${refused.join('\n')}`);
      });
      await step('close the API client', async () => r.kube?.close());
    }
    if (r.clusterUp === true) await step(`take the cluster ${this.#o.cluster} down`, async () => down({ name: this.#o.cluster, log: () => undefined }));
    if (failed.length === 0) this.#record.clear();
    return failed;
  }
}

/** The inference Workspace of phase 6. */
export const INFERENCE_NAME = 'workspace-phi-3-tuned';
/** Kaito's inference container port (the Service's targetPort). */
const INFERENCE_PORT = 5000;

/**
 * The variable the process kubelet gives every container process (its folder): tools/cluster's
 * MARKER_ENV, not exported by it, so restated here.
 */
const KUBELET_MARKER_ENV = 'KAITO_TS_PROCESS_KUBELET';

/** Undefined when nothing listens on 127.0.0.1:`port`; else who does, as `ss` names it, and its environment. */
export async function portHolder(port: number): Promise<{ text: string; environ: string } | undefined> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (free) return undefined;
  const ss = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const user = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout ?? '');
  if (user === null) return { text: 'another process', environ: '' };
  const cmdline = commandLine(Number(user[2]));
  let environ = '';
  try {
    environ = readFileSync(`/proc/${user[2]}/environ`, 'utf8');
  } catch {
    // Another user's process: not ours anyway.
  }
  return { text: `pid ${user[2]}: ${cmdline !== undefined && cmdline !== '' ? cmdline.slice(0, 160) : user[1]}`, environ };
}

/** What the demo asks (the seed's curl has a placeholder). */
const QUESTION = 'What is Kubernetes?';

/** The seed's inference Workspace shape (v1alpha1, fields at the top level) with the tuned adapter. */
export function inferenceManifest(image: string): string {
  return [
    'apiVersion: kaito.sh/v1alpha1',
    'kind: Workspace',
    'metadata:',
    `  name: ${INFERENCE_NAME}`,
    'resource:',
    '  instanceType: "Standard_NC6s_v3"',
    '  labelSelector:',
    '    matchLabels:',
    '      apps: phi-3-tuned',
    'inference:',
    '  preset:',
    '    name: phi-3-mini-128k-instruct',
    '  adapters:',
    '    - source:',
    '        name: tuned-phi-3',
    `        image: "${image}"`,
    '        imagePullSecrets:',
    `          - ${PUSH_SECRET}`,
    '',
  ].join('\n');
}

/** The text of a `/chat` answer: Kaito's transformers runtime answers `{"Result": "…"}`. */
function chatAnswer(body: unknown): string {
  const text = (body as { Result?: unknown } | undefined)?.Result;
  return typeof text === 'string' ? text : '';
}

/** The CPU stand-in's note on an answer (`kaito_ts`): what it is and the adapters it loaded. */
function standinNote(body: unknown): string {
  const n = (body as { kaito_ts?: { standin?: unknown; adapters?: unknown } } | undefined)?.kaito_ts;
  if (n === undefined) return '';
  const adapters = Array.isArray(n.adapters) ? n.adapters.map(String).join(', ') : '';
  return `${typeof n.standin === 'string' ? n.standin : 'the CPU stand-in'}${adapters !== '' ? `; adapters loaded: ${adapters}` : ''}`;
}

const oneLine = (s: string): string => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (!res.ok) throw new DemoFailure(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  // A CPU generation with a cold model can take a while on a loaded machine.
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  if (!res.ok) throw new DemoFailure(`POST ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}
