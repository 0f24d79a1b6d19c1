// Container specs for a plan: what the workspace controller puts in the StatefulSet (inference)
// or the Job (tuning). Pure; Kubernetes types only.
import type { V1Container, V1EnvVar, V1ExecAction, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { PresetModel, TuningMethod } from './catalog/model-codec.js';
import type { InferenceRuntime, ImageRef } from './catalog/runtime-codec.js';
import { RenderError } from './errors.js';
import type { Plan } from './planner.js';
import { inferenceRuntime, tuningRuntime } from './runtimes.js';

/** Volume names the containers mount; the controller supplies the volumes (see inferenceVolumes). */
export const VOLUMES = {
  dshm: 'dshm',
  weights: 'model-weights-volume',
  config: 'config-volume',
  adapters: 'adapter-volume',
  data: 'data-volume',
  results: 'results-volume',
} as const;

export const PATHS = {
  weights: '/workspace/weights',
  config: '/mnt/config',
  inferenceConfigFile: '/mnt/config/inference_config.yaml',
  tuningConfigFile: '/mnt/config/training_config.yaml',
  adapters: '/mnt/adapter',
} as const;

/** Label the StatefulSet controller puts on each pod with its ordinal (Kubernetes >= 1.28). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const RAY_PORT = 6379;
/** timeoutSeconds of the multi-node exec probes: python start-up plus the leader's 5 s HTTP timeout */
const EXEC_PROBE_TIMEOUT_SECONDS = 10;

export function imageOf(ref: ImageRef, overrides: { registry?: string | undefined; tag?: string | undefined } = {}): string {
  const registry = (overrides.registry ?? ref.registry).replace(/\/+$/, '');
  return `${registry}/${ref.repository}:${overrides.tag ?? ref.tag}`;
}

/**
 * Kaito's startup budget: 15 min + 18 s per GiB of weights, clamped to [30, 180] min, probed every
 * `periodSeconds`; returns the failureThreshold.
 */
export function startupFailureThreshold(weightsGiB: number, rt: Pick<InferenceRuntime, 'startup' | 'probes'>): number {
  const { baseSeconds, secondsPerGiB, minSeconds, maxSeconds } = rt.startup;
  const budget = Math.min(maxSeconds, Math.max(minSeconds, baseSeconds + secondsPerGiB * weightsGiB));
  return Math.ceil(budget / rt.probes.periodSeconds);
}

export interface AdapterRef {
  name: string;
  /** Transformers only; vLLM rejects strengths, as in Kaito */
  strength?: string;
}

export interface InferenceRenderOptions {
  /** container name; Kaito names it after the Workspace */
  name: string;
  /** OpenAI `model` field clients send; default the preset name */
  servedModelName?: string;
  /** image registry override, e.g. a mirror of mcr.microsoft.com/aks/kaito */
  registry?: string;
  imageTag?: string;
  /** Secret holding key HF_TOKEN (modelAccessSecret); mounted as an optional env var */
  hfTokenSecret?: string;
  /** the Workspace names an inference ConfigMap: mounted at /mnt/config */
  configMap?: string;
  adapters?: AdapterRef[];
  /** multi-node: DNS name of pod 0, e.g. `<name>-0.<name>-headless.<ns>.svc.cluster.local` */
  leaderAddress?: string;
  extraArgs?: string[];
}

/** The inference container for a fitting plan. */
export function renderInferenceContainer(plan: Plan, model: PresetModel, options: InferenceRenderOptions): V1Container {
  if (!plan.fits) throw new RenderError('PlanDoesNotFit', `cannot render ${plan.model} on ${plan.sku}: ${plan.reasons[0] ?? 'the plan does not fit'}`);
  if (plan.mode !== 'inference' || plan.runtime === 'tuning-runner') throw new RenderError('UnsupportedOption', 'renderInferenceContainer needs an inference plan');
  const rt = inferenceRuntime(plan.runtime);
  const adapters = options.adapters ?? [];
  if (plan.runtime === 'vllm' && adapters.length > 0) {
    if (model.vllm?.allowLoRA === false) throw new RenderError('UnsupportedOption', `${model.name} does not accept LoRA adapters on vLLM`);
    const withStrength = adapters.filter((a) => a.strength !== undefined).map((a) => a.name);
    if (withStrength.length > 0) throw new RenderError('UnsupportedOption', `vLLM does not weight adapters; remove strength from ${withStrength.join(', ')}`);
  }
  const multiNode = plan.nodeCount > 1;
  if (multiNode && options.leaderAddress === undefined) throw new RenderError('UnsupportedOption', 'a multi-node plan needs leaderAddress (pod 0 of the headless Service)');

  const serverArgs = plan.runtime === 'vllm' ? vllmArgs(plan, model, rt, options) : transformersArgs(plan, model, rt, options);
  const env: V1EnvVar[] = [
    ...Object.entries(rt.env).map(([name, value]) => ({ name, value })),
    ...hfTokenEnv(options.hfTokenSecret),
    // Transformers merges adapters weighted by an env var named after each adapter (Kaito's contract)
    ...(plan.runtime === 'transformers' ? adapters.map((a) => ({ name: a.name, value: a.strength ?? '1.0' })) : []),
    ...(multiNode ? [{ name: 'POD_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${POD_INDEX_LABEL}']` } } }] : []),
  ];
  const command = multiNode ? ['/bin/sh', '-c'] : rt.command;
  const args = multiNode ? [multiNodeScript(plan, [...rt.command, ...serverArgs], options.leaderAddress ?? '')] : serverArgs;
  const probes = multiNode ? multiNodeProbes(model, rt, options.leaderAddress ?? '') : httpProbes(model, rt);

  return {
    name: options.name,
    image: imageOf(rt.image, { registry: options.registry, tag: options.imageTag }),
    command,
    args,
    env,
    ports: [{ name: 'http', containerPort: rt.port, protocol: 'TCP' }, ...(multiNode ? [{ name: 'ray', containerPort: RAY_PORT, protocol: 'TCP' }] : [])],
    resources: gpuResources(plan.gpusPerNode),
    volumeMounts: inferenceMounts(options),
    ...probes,
  };
}

function vllmArgs(plan: Plan, model: PresetModel, rt: InferenceRuntime, options: InferenceRenderOptions): string[] {
  return [
    ...rt.args,
    `--model=${model.hfRepo}`,
    ...(model.revision !== 'main' ? [`--revision=${model.revision}`] : []),
    `--served-model-name=${options.servedModelName ?? model.name}`,
    `--port=${rt.port}`,
    `--dtype=${plan.dtype}`,
    `--max-model-len=${plan.maxModelLen}`,
    `--gpu-memory-utilization=${plan.gpuMemoryUtilization}`,
    ...(plan.tensorParallel > 1 ? [`--tensor-parallel-size=${plan.tensorParallel}`] : []),
    ...(plan.dataParallel > 1 ? [`--data-parallel-size=${plan.dataParallel}`] : []),
    ...(plan.pipelineParallel > 1 ? [`--pipeline-parallel-size=${plan.pipelineParallel}`] : []),
    // stages on one node run under vLLM's own multiprocessing executor; across nodes they need the Ray cluster
    ...(plan.nodeCount > 1 ? ['--distributed-executor-backend=ray'] : []),
    ...(model.trustRemoteCode ? ['--trust-remote-code'] : []),
    ...(model.vllm?.args ?? []),
    ...((options.adapters ?? []).length > 0 ? ['--enable-lora'] : []),
    ...(options.configMap !== undefined ? [`--kaito-config-file=${PATHS.inferenceConfigFile}`] : []),
    ...(options.extraArgs ?? []),
  ];
}

function transformersArgs(plan: Plan, model: PresetModel, rt: InferenceRuntime, options: InferenceRenderOptions): string[] {
  return [
    ...rt.args,
    `--pretrained_model_name_or_path=${model.hfRepo}`,
    ...(model.revision !== 'main' ? [`--revision=${model.revision}`] : []),
    `--torch_dtype=${plan.dtype}`,
    '--device_map=auto',
    ...(model.trustRemoteCode ? ['--trust_remote_code'] : []),
    ...(model.transformers?.args ?? []),
    ...(options.extraArgs ?? []),
  ];
}

/** Pod 0 leads a Ray cluster and serves; the others join it (Kaito's multi-node-serving.sh). */
function multiNodeScript(plan: Plan, serve: string[], leader: string): string {
  const quoted = serve.map(shellQuote).join(' ');
  return (
    `if [ "\${POD_INDEX}" = "0" ]; then /workspace/vllm/multi-node-serving.sh leader --ray_cluster_size=${plan.nodeCount} --ray_port=${RAY_PORT} && exec ${quoted}; ` +
    `else exec /workspace/vllm/multi-node-serving.sh worker --ray_address=${shellQuote(leader)} --ray_port=${RAY_PORT}; fi`
  );
}

function httpProbes(model: PresetModel, rt: InferenceRuntime): Pick<V1Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  // a fresh object per probe: callers may edit one without changing the others
  const get = () => ({ path: rt.probes.path, port: rt.port });
  const period = rt.probes.periodSeconds;
  return {
    startupProbe: { httpGet: get(), periodSeconds: period, failureThreshold: startupFailureThreshold(model.weightsGiB, rt) },
    livenessProbe: { httpGet: get(), periodSeconds: period, failureThreshold: rt.probes.livenessFailureThreshold },
    readinessProbe: { httpGet: get(), initialDelaySeconds: rt.probes.readinessInitialDelaySeconds, periodSeconds: period },
  };
}

/** Only pod 0 serves HTTP; workers are healthy while the Ray head answers. */
function multiNodeProbes(model: PresetModel, rt: InferenceRuntime, leader: string): Pick<V1Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  const check =
    `if [ "\${POD_INDEX}" = "0" ]; then python3 -c "import urllib.request; urllib.request.urlopen('http://localhost:${rt.port}${rt.probes.path}', timeout=5)"; ` +
    `else ray health-check --address=${shellQuote(`${leader}:${RAY_PORT}`)}; fi`;
  const exec = (): V1ExecAction => ({ command: ['/bin/sh', '-c', check] });
  const period = rt.probes.periodSeconds;
  // Kubernetes kills an exec probe after timeoutSeconds (default 1 s): starting python (and
  // importing ray) takes longer than that, and the leader's check may wait 5 s for /health.
  const timeout = EXEC_PROBE_TIMEOUT_SECONDS;
  return {
    startupProbe: { exec: exec(), periodSeconds: period, timeoutSeconds: timeout, failureThreshold: startupFailureThreshold(model.weightsGiB, rt) },
    livenessProbe: { exec: exec(), periodSeconds: period, timeoutSeconds: timeout, failureThreshold: rt.probes.livenessFailureThreshold },
    readinessProbe: { exec: exec(), initialDelaySeconds: rt.probes.readinessInitialDelaySeconds, periodSeconds: period, timeoutSeconds: timeout },
  };
}

function inferenceMounts(options: InferenceRenderOptions): V1VolumeMount[] {
  return [
    { name: VOLUMES.dshm, mountPath: '/dev/shm' },
    { name: VOLUMES.weights, mountPath: PATHS.weights },
    ...(options.configMap !== undefined ? [{ name: VOLUMES.config, mountPath: PATHS.config, readOnly: true }] : []),
    ...((options.adapters ?? []).length > 0 ? [{ name: VOLUMES.adapters, mountPath: PATHS.adapters }] : []),
  ];
}

/**
 * Volumes for the inference pod: shared memory for NCCL, weights as an emptyDir sized to the
 * plan's disk need (the controller swaps in a volumeClaimTemplate on NVMe SKUs), and the optional
 * ConfigMap and adapter directory.
 */
export function inferenceVolumes(plan: Plan, options: Pick<InferenceRenderOptions, 'configMap' | 'adapters'>): V1Volume[] {
  return [
    { name: VOLUMES.dshm, emptyDir: { medium: 'Memory' } },
    { name: VOLUMES.weights, emptyDir: { sizeLimit: `${Math.ceil(plan.diskGiB)}Gi` } },
    ...(options.configMap !== undefined ? [{ name: VOLUMES.config, configMap: { name: options.configMap } }] : []),
    ...((options.adapters ?? []).length > 0 ? [{ name: VOLUMES.adapters, emptyDir: {} }] : []),
  ];
}

// ---- tuning -------------------------------------------------------------------------------

/**
 * What the tuning-runner is told. tuningRunnerArgs renders the fields the runner has flags for
 * (apps/tuning-runner/src/settings.ts; it exits 2 on an unknown flag); revision, precision,
 * maxSeqLength, batchSize, loraRank, targetModules and trustRemoteCode are what the plan assumed,
 * and reach the trainer through training_config.yaml (and DEFAULT_TARGET_MODULES), not flags.
 */
export interface TuningRunnerOptions {
  method: TuningMethod;
  /** Hugging Face id of the base model; the runner's `--preset` (it resolves catalog ids) */
  model: string;
  revision?: string;
  /** the runner's `--model-dir` */
  weightsDir: string;
  dataDir: string;
  /** training_config.yaml from the Workspace's tuning.config ConfigMap, when given; the runner's `--config` */
  configFile?: string;
  /** the runner's `--results-dir` */
  outputDir: string;
  /** bf16 on compute capability >= 8.0, fp16 below */
  precision: 'bf16' | 'fp16';
  /** one per GPU: `--trainer-processes`, with `--trainer-launcher=accelerate` when more than one */
  numProcesses: number;
  maxSeqLength: number;
  batchSize: number;
  loraRank: number;
  targetModules?: string[];
  trustRemoteCode?: boolean;
}

/** Default runner options for a tuning plan; `overrides` win. */
export function tuningRunnerOptions(plan: Plan, model: PresetModel, overrides: Partial<TuningRunnerOptions> = {}): TuningRunnerOptions {
  const rt = tuningRuntime();
  const targetModules = model.tuning?.targetModules;
  return {
    method: plan.tuningMethod ?? 'qlora',
    model: model.hfRepo,
    ...(model.revision !== 'main' ? { revision: model.revision } : {}),
    weightsDir: rt.paths.weights,
    dataDir: rt.paths.data,
    outputDir: rt.paths.results,
    precision: plan.dtype === 'bfloat16' ? 'bf16' : 'fp16',
    numProcesses: plan.gpusPerNode,
    maxSeqLength: plan.maxModelLen > 0 ? plan.maxModelLen : rt.defaults.maxSeqLength,
    batchSize: rt.defaults.batchSize,
    loraRank: rt.defaults.loraRank,
    ...(targetModules !== undefined ? { targetModules } : {}),
    ...(model.trustRemoteCode ? { trustRemoteCode: true } : {}),
    ...overrides,
  };
}

/** The tuning-runner's `--flag=value` arguments for the options it has flags for (see TuningRunnerOptions). */
export function tuningRunnerArgs(options: Partial<TuningRunnerOptions>): string[] {
  const flag = (name: string, value: string | number | undefined): string[] => (value === undefined ? [] : [`--${name}=${String(value)}`]);
  const processes = options.numProcesses;
  return [
    ...flag('method', options.method),
    ...flag('preset', options.model),
    ...flag('model-dir', options.weightsDir),
    ...flag('data-dir', options.dataDir),
    ...flag('config', options.configFile),
    ...flag('results-dir', options.outputDir),
    ...flag('trainer-processes', processes),
    ...(processes !== undefined && processes > 1 ? ['--trainer-launcher=accelerate'] : []),
  ];
}

export interface TuningRenderOptions {
  name: string;
  registry?: string;
  imageTag?: string;
  hfTokenSecret?: string;
  /** the Workspace's tuning.config ConfigMap (key training_config.yaml): mounted at /mnt/config */
  configMap?: string;
  runner?: Partial<TuningRunnerOptions>;
}

/** The tuning-runner container for a fitting tuning plan (the Job's main container). */
export function renderTuningContainer(plan: Plan, model: PresetModel, options: TuningRenderOptions): V1Container {
  if (!plan.fits) throw new RenderError('PlanDoesNotFit', `cannot render tuning of ${plan.model} on ${plan.sku}: ${plan.reasons[0] ?? 'the plan does not fit'}`);
  if (plan.mode !== 'tuning') throw new RenderError('UnsupportedOption', 'renderTuningContainer needs a tuning plan');
  const rt = tuningRuntime();
  const runner = tuningRunnerOptions(plan, model, {
    ...(options.configMap !== undefined ? { configFile: PATHS.tuningConfigFile } : {}),
    ...options.runner,
  });
  const env: V1EnvVar[] = [
    ...Object.entries(rt.env).map(([name, value]) => ({ name, value })),
    ...hfTokenEnv(options.hfTokenSecret),
    // Kaito sets this for phi-3, whose attention and MLP projections are fused
    ...(runner.targetModules !== undefined ? [{ name: 'DEFAULT_TARGET_MODULES', value: runner.targetModules.join(',') }] : []),
  ];
  return {
    name: options.name,
    image: imageOf(rt.image, { registry: options.registry, tag: options.imageTag }),
    command: rt.command,
    args: tuningRunnerArgs(runner),
    env,
    ports: [{ name: 'metrics', containerPort: rt.metricsPort, protocol: 'TCP' }],
    resources: gpuResources(plan.gpusPerNode),
    volumeMounts: [
      { name: VOLUMES.dshm, mountPath: '/dev/shm' },
      { name: VOLUMES.weights, mountPath: rt.paths.weights },
      { name: VOLUMES.data, mountPath: rt.paths.data },
      ...(options.configMap !== undefined ? [{ name: VOLUMES.config, mountPath: rt.paths.config, readOnly: true }] : []),
      { name: VOLUMES.results, mountPath: rt.paths.results },
    ],
  };
}

function gpuResources(gpus: number): V1ResourceRequirements {
  return { requests: { 'nvidia.com/gpu': String(gpus) }, limits: { 'nvidia.com/gpu': String(gpus) } };
}

function hfTokenEnv(secret: string | undefined): V1EnvVar[] {
  return secret === undefined ? [] : [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: 'HF_TOKEN', optional: true } } }];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
