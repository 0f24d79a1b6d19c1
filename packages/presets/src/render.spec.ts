import { RenderError } from './errors.js';
import { getModel } from './models.js';
import { plan } from './planner.js';
import {
  inferenceVolumes,
  renderInferenceContainer,
  renderTuningContainer,
  startupFailureThreshold,
  tuningRunnerArgs,
  tuningRunnerOptions,
  type TuningRunnerOptions,
} from './render.js';
import { inferenceRuntime } from './runtimes.js';

const seedModel = getModel('phi-3-mini-128k-instruct');

/** The flags apps/tuning-runner/src/settings.ts (SETTINGS) accepts; any other makes it exit 2. */
const TUNING_RUNNER_FLAGS = [
  'method', 'preset', 'config', 'data-dir', 'data-urls', 'max-download-bytes', 'results-dir', 'work-dir', 'progress-file',
  'termination-log', 'output-image', 'output-volume', 'docker-config', 'insecure-registries', 'model-dir', 'python',
  'trainer-dir', 'trainer-launcher', 'trainer-processes', 'grace-period-seconds', 'log-level',
];
const seedPlan = plan(seedModel, 'Standard_NC6s_v3');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('inference container', () => {
  const c = renderInferenceContainer(seedPlan, seedModel, { name: 'workspace-phi-3' });

  it('runs the Kaito base image with vLLM', () => {
    expect(c.image).toBe('mcr.microsoft.com/aks/kaito/kaito-base:0.5.0');
    expect(c.command).toEqual(['python3', '/workspace/vllm/inference_api.py']);
  });

  it.each([
    '--model=microsoft/Phi-3-mini-128k-instruct',
    '--revision=072cb7562cb8c4adf682a8e186aaafa49469eb5d',
    '--served-model-name=phi-3-mini-128k-instruct',
    '--port=5000',
    '--dtype=float16',
    '--max-model-len=9984',
    '--gpu-memory-utilization=0.84',
    '--download-dir=/workspace/weights',
  ])('passes %s to vLLM', (arg) => {
    expect(c.args).toContain(arg);
  });

  it('passes no parallelism flags for one GPU', () => {
    expect(c.args?.filter((a) => a.includes('parallel-size'))).toEqual([]);
  });

  it('serves on port 5000 and probes /health', () => {
    expect(c.ports).toEqual([{ name: 'http', containerPort: 5000, protocol: 'TCP' }]);
    expect(c.startupProbe).toEqual({ httpGet: { path: '/health', port: 5000 }, periodSeconds: 10, failureThreshold: 180 });
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/health', port: 5000 }, periodSeconds: 10, failureThreshold: 3 });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/health', port: 5000 }, initialDelaySeconds: 30, periodSeconds: 10 });
  });

  it('requests every GPU of the node', () => {
    expect(c.resources).toEqual({ requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } });
  });

  it('mounts shared memory and the weights directory', () => {
    expect(c.volumeMounts).toEqual([
      { name: 'dshm', mountPath: '/dev/shm' },
      { name: 'model-weights-volume', mountPath: '/workspace/weights' },
    ]);
  });

  it('takes the registry and tag from options', () => {
    expect(renderInferenceContainer(seedPlan, seedModel, { name: 'w', registry: 'myacr.azurecr.io/kaito/', imageTag: '0.6.0' }).image).toBe(
      'myacr.azurecr.io/kaito/kaito-base:0.6.0',
    );
  });

  it('reads the Hugging Face token from the named Secret, optionally', () => {
    const env = renderInferenceContainer(seedPlan, seedModel, { name: 'w', hfTokenSecret: 'hf' }).env ?? [];
    expect(env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'HF_TOKEN', optional: true } } });
  });

  it('mounts the inference ConfigMap and passes its file', () => {
    const w = renderInferenceContainer(seedPlan, seedModel, { name: 'w', configMap: 'cfg' });
    expect(w.args).toContain('--kaito-config-file=/mnt/config/inference_config.yaml');
    expect(w.volumeMounts).toContainEqual({ name: 'config-volume', mountPath: '/mnt/config', readOnly: true });
  });

  it('enables LoRA when adapters are given', () => {
    const w = renderInferenceContainer(seedPlan, seedModel, { name: 'w', adapters: [{ name: 'a1' }] });
    expect(w.args).toContain('--enable-lora');
    expect(w.volumeMounts).toContainEqual({ name: 'adapter-volume', mountPath: '/mnt/adapter' });
  });

  it.each([
    ['phi-3-mini-4k-instruct', 'Standard_NC96ads_A100_v4', ['--data-parallel-size=4']],
    ['llama-3.3-70b-instruct', 'Standard_NC96ads_A100_v4', ['--tensor-parallel-size=4']],
    ['llama-3.3-70b-instruct', 'Standard_ND96isr_H100_v5', ['--tensor-parallel-size=4', '--data-parallel-size=2']],
  ])('renders the parallel layout of %s on %s', (model, sku, flags) => {
    const m = getModel(model);
    const args = renderInferenceContainer(plan(m, sku), m, { name: 'w' }).args ?? [];
    expect(args.filter((a) => a.includes('parallel-size'))).toEqual(flags);
  });

  it("passes Mistral's tokenizer and weight formats", () => {
    const m = getModel('mistral-7b-instruct');
    expect(renderInferenceContainer(plan(m, 'Standard_NV36ads_A10_v5'), m, { name: 'w' }).args).toEqual(
      expect.arrayContaining(['--tokenizer-mode=mistral', '--config-format=mistral', '--load-format=mistral']),
    );
  });

  it('refuses a plan that does not fit', () => {
    const m = getModel('phi-4');
    const e = thrown(() => renderInferenceContainer(plan(m, 'Standard_NC6s_v3'), m, { name: 'w' }));
    expect(e).toBeInstanceOf(RenderError);
    expect((e as RenderError).code).toBe('PlanDoesNotFit');
  });

  it.each([
    ['adapters on falcon-7b', 'falcon-7b', [{ name: 'a' }], 'falcon-7b does not accept LoRA adapters on vLLM'],
    ['adapter strength on vLLM', 'phi-4', [{ name: 'a', strength: '0.5' }], 'vLLM does not weight adapters; remove strength from a'],
  ])('refuses %s', (_what, model, adapters, message) => {
    const m = getModel(model);
    const e = thrown(() => renderInferenceContainer(plan(m, 'Standard_NC24ads_A100_v4'), m, { name: 'w', adapters }));
    expect((e as RenderError).code).toBe('UnsupportedOption');
    expect((e as RenderError).message).toBe(message);
  });
});

describe('pipeline stages within one node', () => {
  it("renders falcon-7b on 2x V100 as 2 pipeline stages under vLLM's own executor, without Ray", () => {
    const m = getModel('falcon-7b');
    const c = renderInferenceContainer(plan(m, 'Standard_NC12s_v3'), m, { name: 'ws' });
    expect(c.args).toContain('--pipeline-parallel-size=2');
    expect(c.args).not.toContain('--tensor-parallel-size=2');
    expect(c.args?.some((a) => a.includes('distributed-executor-backend'))).toBe(false);
  });
});

describe('multi-node inference container', () => {
  const m = getModel('llama-3.3-70b-instruct');
  const p = plan(m, 'Standard_NC24ads_A100_v4', 'vllm', { maxNodes: 3 });
  const leader = 'ws-0.ws-headless.default.svc.cluster.local';
  const c = renderInferenceContainer(p, m, { name: 'ws', leaderAddress: leader });

  it('starts a Ray leader on pod 0 and workers elsewhere', () => {
    expect(c.command).toEqual(['/bin/sh', '-c']);
    expect(c.args?.[0]).toMatch(/^if \[ "\$\{POD_INDEX\}" = "0" \]; then \/workspace\/vllm\/multi-node-serving.sh leader --ray_cluster_size=3 /);
    expect(c.args?.[0]).toContain(`worker --ray_address=${leader}`);
    expect(c.args?.[0]).toContain('--pipeline-parallel-size=3 --distributed-executor-backend=ray');
  });

  it('reads the pod index from the StatefulSet label', () => {
    expect(c.env).toContainEqual({ name: 'POD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } });
  });

  it('exposes the Ray port', () => {
    expect(c.ports).toContainEqual({ name: 'ray', containerPort: 6379, protocol: 'TCP' });
  });

  it('probes with a command that works on leader and workers', () => {
    expect(c.readinessProbe?.exec?.command?.[2]).toContain(`ray health-check --address=${leader}:6379`);
  });

  it.each(['startupProbe', 'livenessProbe', 'readinessProbe'] as const)(
    'gives the exec %s time to start python and wait out its 5 s HTTP timeout (Kubernetes defaults to 1 s)',
    (probe) => {
      expect(c[probe]?.exec?.command?.[2]).toContain('timeout=5');
      expect(c[probe]?.timeoutSeconds).toBeGreaterThan(5);
      expect(c[probe]?.timeoutSeconds).toBeLessThanOrEqual(c[probe]?.periodSeconds ?? 0);
    },
  );

  it('needs the leader address', () => {
    expect(() => renderInferenceContainer(p, m, { name: 'ws' })).toThrow('leaderAddress');
  });
});

describe('transformers inference container', () => {
  const m = getModel('phi-3-mini-4k-instruct');
  const c = renderInferenceContainer(plan(m, 'Standard_NC24ads_A100_v4', 'transformers'), m, { name: 'w', adapters: [{ name: 'style', strength: '0.7' }] });

  it('launches the Transformers server with accelerate', () => {
    expect(c.command).toEqual(['accelerate', 'launch']);
    expect(c.args).toEqual(expect.arrayContaining(['/workspace/tfs/inference_api.py', '--pretrained_model_name_or_path=microsoft/Phi-3-mini-4k-instruct', '--torch_dtype=bfloat16']));
  });

  it('weights adapters through env vars named after them', () => {
    expect(c.env).toContainEqual({ name: 'style', value: '0.7' });
  });
});

describe('startup probe budget', () => {
  const rt = inferenceRuntime('vllm');
  it.each([
    [0, 180],
    [7.12, 180],
    [100, 270],
    [131.42, 327],
    [1000, 1080],
  ])('allows %f GiB of weights %i probe failures (15 min + 18 s/GiB in [30, 180] min)', (gib, threshold) => {
    expect(startupFailureThreshold(gib, rt)).toBe(threshold);
  });
});

describe('tuning container', () => {
  const p = plan(seedModel, 'Standard_NC6s_v3', 'transformers', { mode: 'tuning', tuningMethod: 'qlora' });
  const c = renderTuningContainer(p, seedModel, { name: 'workspace-tuning-phi-3', configMap: 'qlora-params' });

  it('runs the tuning-runner image from the configured registry', () => {
    expect(c.image).toBe('ghcr.io/kaito-ts/tuning-runner:0.1.0');
    expect(renderTuningContainer(p, seedModel, { name: 'w', registry: 'localhost:5001', imageTag: 'dev' }).image).toBe('localhost:5001/kaito-ts/tuning-runner:dev');
  });

  it('tells the runner what to train and where the data and results are', () => {
    expect(c.args).toEqual([
      '--method=qlora',
      '--preset=microsoft/Phi-3-mini-128k-instruct',
      '--model-dir=/workspace/weights',
      '--data-dir=/mnt/data',
      '--config=/mnt/config/training_config.yaml',
      '--results-dir=/mnt/results',
      '--trainer-processes=1',
    ]);
  });

  it('passes only flags the tuning-runner accepts (it exits 2 on an unknown flag)', () => {
    const multi = renderTuningContainer(plan(seedModel, 'Standard_NC96ads_A100_v4', 'transformers', { mode: 'tuning' }), seedModel, {
      name: 'w',
      configMap: 'qlora-params',
      runner: { trustRemoteCode: true },
    });
    for (const arg of [...(c.args ?? []), ...(multi.args ?? [])]) {
      expect(TUNING_RUNNER_FLAGS).toContain(/^--([a-z0-9-]+)=/.exec(arg)?.[1]);
    }
  });

  it('launches one trainer process per GPU with accelerate on a multi-GPU node', () => {
    const multi = renderTuningContainer(plan(seedModel, 'Standard_NC96ads_A100_v4', 'transformers', { mode: 'tuning' }), seedModel, { name: 'w' });
    expect(multi.args).toEqual(expect.arrayContaining(['--trainer-processes=4', '--trainer-launcher=accelerate']));
  });

  it('sets the allocator and the phi-3 target modules in env', () => {
    expect(c.env).toEqual([
      { name: 'PYTORCH_CUDA_ALLOC_CONF', value: 'expandable_segments:True' },
      { name: 'DEFAULT_TARGET_MODULES', value: 'qkv_proj,o_proj,gate_up_proj,down_proj' },
    ]);
  });

  it('mounts data, config and results at the Kaito paths', () => {
    expect(c.volumeMounts?.map((v) => v.mountPath)).toEqual(['/dev/shm', '/workspace/weights', '/mnt/data', '/mnt/config', '/mnt/results']);
  });

  it('trains in bf16 on Ampere', () => {
    const a100 = plan(seedModel, 'Standard_NC24ads_A100_v4', 'transformers', { mode: 'tuning' });
    expect(tuningRunnerOptions(a100, seedModel).precision).toBe('bf16');
  });

  it('lets callers override runner options', () => {
    expect(renderTuningContainer(p, seedModel, { name: 'w', runner: { dataDir: '/data' } }).args).toContain('--data-dir=/data');
  });

  it('refuses an inference plan', () => {
    expect(() => renderTuningContainer(seedPlan, seedModel, { name: 'w' })).toThrow('needs a tuning plan');
  });
});

describe('tuning-runner arguments', () => {
  it.each([
    [{ method: 'lora' }, ['--method=lora']],
    [{ model: 'microsoft/phi-4' }, ['--preset=microsoft/phi-4']],
    [{ weightsDir: '/w' }, ['--model-dir=/w']],
    [{ configFile: '/c.yaml' }, ['--config=/c.yaml']],
    [{ outputDir: '/out' }, ['--results-dir=/out']],
    [{ numProcesses: 1 }, ['--trainer-processes=1']],
    [{ numProcesses: 8 }, ['--trainer-processes=8', '--trainer-launcher=accelerate']],
    // no runner flags: training_config.yaml carries these
    [{ trustRemoteCode: true, targetModules: ['q_proj'], maxSeqLength: 2048, precision: 'fp16', revision: 'abc' }, []],
  ] as [Partial<TuningRunnerOptions>, string[]][])('renders %j as %j', (options, args) => {
    expect(tuningRunnerArgs(options)).toEqual(args);
  });
});

describe('inference volumes', () => {
  it('sizes the weights emptyDir from the plan and backs /dev/shm with memory', () => {
    expect(inferenceVolumes(seedPlan, {})).toEqual([
      { name: 'dshm', emptyDir: { medium: 'Memory' } },
      { name: 'model-weights-volume', emptyDir: { sizeLimit: '80Gi' } },
    ]);
  });
});
