/**
 * The whole runner on CPU: the real Python trainer (transformers + peft on Debian's torch) trains
 * a tiny randomly initialised Llama for a few steps, the runner verifies the adapter and pushes it
 * to a real docker-registry with htpasswd auth, and the image is pulled back by digest.
 */
import { spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { verifyAdapter } from './adapter/verify.js';
import { createLogger } from './logger.js';
import { loadCredentials } from './oci/docker-config.js';
import { MediaTypes } from './oci/push.js';
import { parseImageRef } from './oci/reference.js';
import { RegistryClient } from './oci/registry.js';
import { listTar } from './oci/tar.js';
import { runTuning } from './run.js';
import { loadSettings } from './settings.js';
import { dollyRows, writeDollyParquet } from './testing/fixtures.js';
import { TRAINER_DIR, dockerConfigDir, startRegistry, trainerPython, type Registry } from './testing/processes.js';

const USER = 'pusher';
const PASSWORD = 'correct-horse-battery';

let root: string;
let modelDir: string;
let registry: Registry;
let configDir: string;
const python = trainerPython();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tr-run-'));
  modelDir = join(root, 'model');
  const built = spawnSync(python, ['-m', 'kaito_trainer.tiny', '--out', modelDir], { cwd: TRAINER_DIR, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the tiny model failed:\n${built.stderr}`);
  registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
  configDir = await dockerConfigDir(registry.host, USER, PASSWORD);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await rm(root, { recursive: true, force: true });
});

function trainingConfig(overrides: { training?: string; lora?: string } = {}): string {
  return [
    'training_config:',
    '  ModelConfig:',
    `    pretrained_model_name_or_path: "${modelDir}"`,
    '    torch_dtype: "float32"',
    '  LoraConfig:',
    '    r: 4',
    '    lora_alpha: 8',
    overrides.lora ?? '    target_modules: ["q_proj", "v_proj"]',
    '  TrainingArguments:',
    '    max_steps: 4',
    '    per_device_train_batch_size: 4',
    '    learning_rate: 0.01',
    '    logging_steps: 1',
    '    max_length: 128',
    overrides.training ?? '',
  ].join('\n');
}

interface Case {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly logs: () => string;
  readonly log: ReturnType<typeof createLogger>;
}

async function prepare(name: string, config: string, extraEnv: Record<string, string> = {}): Promise<Case> {
  const dir = join(root, name);
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'config'), { recursive: true });
  await writeFile(join(dir, 'config', 'training_config.yaml'), config);
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    dir,
    log: createLogger({ format: 'json', stream }),
    logs: () => text,
    env: {
      TUNING_METHOD: 'lora',
      PRESET_NAME: 'tiny-llama',
      TUNING_CONFIG_PATH: join(dir, 'config', 'training_config.yaml'),
      DATA_DIR: join(dir, 'data'),
      RESULTS_DIR: join(dir, 'results'),
      WORK_DIR: join(dir, 'work'),
      TERMINATION_LOG: join(dir, 'termination-log'),
      DOCKER_CONFIG: configDir,
      INSECURE_REGISTRIES: registry.host,
      OUTPUT_IMAGE: `${registry.host}/adapters/${name}:0.0.1`,
      TRAINER_PYTHON: python,
      GRACE_PERIOD_SECONDS: '60',
      ...extraEnv,
    },
  };
}

async function json<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

describe('runTuning on CPU', () => {
  it(
    'trains a few steps on a dolly-style parquet, pushes the adapter and reports the digest',
    async () => {
      const c = await prepare('full', trainingConfig());
      await writeDollyParquet(join(c.dir, 'data', 'train-00000-of-00001.parquet'), dollyRows(24));
      const result = await runTuning({ settings: loadSettings([], c.env), log: c.log, trainerDir: TRAINER_DIR });
      expect(result).toMatchObject({ reason: 'TuningSucceeded', exitCode: 0 });

      const termination = await json<{ phase: string; reason: string; digest: string; image: string; step: number; loss: number }>(join(c.dir, 'termination-log'));
      expect(termination).toMatchObject({ phase: 'Succeeded', reason: 'TuningSucceeded', digest: result.digest, image: `${registry.host}/adapters/full:0.0.1`, step: 4 });
      expect(termination.loss).toBeGreaterThan(0);
      const progress = await json<{ phase: string; rows: number; training: { step: number; maxSteps: number } }>(join(c.dir, 'results', 'progress.json'));
      expect(progress).toMatchObject({ phase: 'Succeeded', rows: 24, training: { step: 4, maxSteps: 4 } });
      await access(join(c.dir, 'results', 'fine_tuning_completed.txt'));
      expect(await verifyAdapter(join(c.dir, 'results'), { r: 4, target_modules: ['q_proj', 'v_proj'] })).toMatchObject({ modules: 4, r: 4 });

      // Pull back by digest: one layer, data/ with the two adapter files, byte for byte.
      const ref = parseImageRef(`${registry.host}/adapters/full@${result.digest}`);
      const credentials = await loadCredentials(configDir, registry.host);
      const client = new RegistryClient(ref, { insecure: true, ...(credentials ? { credentials } : {}) });
      const manifest = JSON.parse((await client.getManifest(result.digest as string, MediaTypes.manifest)).body.toString()) as {
        layers: { digest: string }[];
        annotations: Record<string, string>;
      };
      expect(manifest.annotations).toEqual({ 'sh.kaito.model.name': 'tiny-llama' });
      const files = listTar(gunzipSync(await client.getBlob(manifest.layers[0]!.digest)));
      expect(files.map((f) => f.name)).toEqual(['data/', 'data/adapter_config.json', 'data/adapter_model.safetensors']);
      expect(files[2]?.data).toEqual(await readFile(join(c.dir, 'results', 'adapter_model.safetensors')));
      expect(c.logs()).not.toContain(PASSWORD);
    },
    240_000,
  );

  it(
    'copies the adapter to the output volume instead of pushing',
    async () => {
      const c = await prepare('volume', trainingConfig({ training: '    max_steps: 2' }).replace('    max_steps: 4\n', ''));
      await writeFile(join(c.dir, 'data', 'chat.jsonl'), dollyRows(8).map((r) => JSON.stringify(r)).join('\n'));
      const { OUTPUT_IMAGE: _unused, ...env } = c.env;
      const result = await runTuning({ settings: loadSettings([], { ...env, OUTPUT_VOLUME_DIR: join(c.dir, 'output') }), log: c.log, trainerDir: TRAINER_DIR });
      expect(result).toMatchObject({ reason: 'TuningSucceeded', message: `adapter copied to ${join(c.dir, 'output')}` });
      expect(await verifyAdapter(join(c.dir, 'output'), { r: 4 })).toMatchObject({ r: 4 });
    },
    240_000,
  );

  it(
    'stops before training with InvalidDataset naming the file and row',
    async () => {
      const c = await prepare('bad-data', trainingConfig());
      await writeFile(join(c.dir, 'data', 'chat.jsonl'), `${JSON.stringify(dollyRows(1)[0])}\n{"messages": [{"role": "robot", "content": "x"}]}\n`);
      const result = await runTuning({ settings: loadSettings([], c.env), log: c.log, trainerDir: TRAINER_DIR });
      expect(result).toEqual({
        reason: 'InvalidDataset',
        exitCode: 5,
        message: 'chat.jsonl: line 2: messages[0].role: expected one of system, user, assistant, tool, got "robot"',
      });
      expect(await json(join(c.dir, 'termination-log'))).toEqual({ phase: 'Failed', reason: 'InvalidDataset', message: result.message });
    },
    240_000,
  );

  it(
    'rejects a TrainingArguments field the installed transformers does not have, before reading any data',
    async () => {
      const c = await prepare('bad-config', trainingConfig({ training: '    warmup_stepz: 10' }));
      const result = await runTuning({ settings: loadSettings([], c.env), log: c.log, trainerDir: TRAINER_DIR });
      expect(result.reason).toBe('InvalidConfig');
      expect(result.message).toMatch(/^the trainer rejected the config: TrainingArguments\.warmup_stepz: unknown field for transformers \d+\.\d+\.\d+ TrainingArguments$/);
    },
    240_000,
  );

  it(
    'forwards SIGTERM to the trainer, which saves a checkpoint and stops',
    async () => {
      const c = await prepare('sigterm', trainingConfig({ training: '    max_steps: 100000' }).replace('    max_steps: 4\n', ''));
      await writeDollyParquet(join(c.dir, 'data', 'd.parquet'), dollyRows(16));
      const controller = new AbortController();
      const poll = setInterval(() => {
        void readFile(join(c.dir, 'results', 'progress.json'), 'utf8')
          .then((t) => {
            const p = JSON.parse(t) as { training?: { step?: number } };
            if ((p.training?.step ?? 0) >= 2 && !controller.signal.aborted) controller.abort();
          })
          .catch(() => undefined);
      }, 200);
      try {
        const result = await runTuning({ settings: loadSettings([], c.env), log: c.log, trainerDir: TRAINER_DIR, signal: controller.signal });
        expect(result.reason).toBe('Terminated');
        expect(result.exitCode).toBe(8);
        const checkpoint = /checkpoint saved to (\S+)$/.exec(result.message)?.[1];
        expect(checkpoint).toMatch(/checkpoint-\d+$/);
        await access(join(checkpoint as string, 'adapter_model.safetensors'));
        expect(await json(join(c.dir, 'termination-log'))).toMatchObject({ phase: 'Failed', reason: 'Terminated' });
      } finally {
        clearInterval(poll);
      }
    },
    240_000,
  );
});
