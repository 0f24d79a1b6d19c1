/**
 * An adapter image in a registry, made by the REAL tuning-runner run as a local program (as the
 * tuning Job's pod runs it, without the Job): it converts a small chat dataset, trains LoRA on the
 * tiny model for a few CPU steps through the trainer venv, verifies the adapter and pushes the
 * image with its own OCI code. Faster than a tuning Workspace when a test needs only the image
 * (the tuning e2e covers the Workspace path); the image is the same kind the Workspace pushes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { programArgs } from './process.js';
import { repoRoot } from './repo.js';
import { loraTemplate } from './seed-tuning.js';
import { dollyRows, trainerPython, writeChatJsonl } from './tuning-inputs.js';

export interface TunedImage {
  /** `<registry>/<repository>@sha256:…` */
  readonly image: string;
  readonly digest: string;
  /** Where the runner left the adapter (adapter_config.json, adapter_model.safetensors). */
  readonly adapterDir: string;
  readonly seconds: number;
}

/**
 * Trains an adapter on `modelDir` with the tuning-runner and pushes it to `image` (a tag) in a
 * registry reached over plain http with `dockerConfigJson`'s credentials. `work` is a scratch folder.
 */
export async function tuneAdapterImage(o: {
  readonly image: string;
  readonly registryHost: string;
  readonly dockerConfigJson: string;
  readonly modelDir: string;
  readonly work: string;
  readonly steps?: number;
  readonly logFile: string;
}): Promise<TunedImage> {
  const started = Date.now();
  const dirs = { config: join(o.work, 'config'), data: join(o.work, 'data'), results: join(o.work, 'results'), scratch: join(o.work, 'scratch'), docker: join(o.work, 'docker') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  writeFileSync(join(dirs.config, 'training_config.yaml'), loraTemplate(o.modelDir, o.steps ?? 4, { outputDir: dirs.results, learningRate: 0.05 }));
  writeChatJsonl(join(dirs.data, 'train.jsonl'), dollyRows(16));
  writeFileSync(join(dirs.docker, 'config.json'), o.dockerConfigJson);
  const termination = join(o.work, 'termination-log');
  const args = [
    ...programArgs('apps/tuning-runner/src/main.ts'),
    '--method=lora',
    '--preset=phi-3-mini-128k-instruct',
    `--config=${join(dirs.config, 'training_config.yaml')}`,
    `--data-dir=${dirs.data}`,
    `--results-dir=${dirs.results}`,
    `--work-dir=${dirs.scratch}`,
    `--termination-log=${termination}`,
    `--output-image=${o.image}`,
    `--docker-config=${dirs.docker}`,
    `--insecure-registries=${o.registryHost}`,
    `--python=${trainerPython()}`,
  ];
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', resolve);
  });
  mkdirSync(join(o.logFile, '..'), { recursive: true });
  writeFileSync(o.logFile, output);
  const message = readFileSync(termination, 'utf8');
  if (code !== 0) throw new Error(`tuning-runner exited ${code}: ${message}\n(log: ${o.logFile})`);
  const digest = (JSON.parse(message) as { digest?: string }).digest;
  if (digest === undefined) throw new Error(`tuning-runner's termination message has no digest: ${message}`);
  const repository = o.image.replace(/:[^/:]+$/, '');
  return { image: `${repository}@${digest}`, digest, adapterDir: dirs.results, seconds: Math.round((Date.now() - started) / 100) / 10 };
}
