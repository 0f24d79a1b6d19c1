/**
 * The seed's fine-tuning quick start as this machine can run it, shared by the tuning e2e spec
 * and the demo (tools/demo): the seed's Workspace YAML verbatim, the few rewrites a machine
 * without a cloud, a GPU or the internet needs (each one stated), the lora template pointed at the
 * trainer's tiny model, and the "image" the process kubelet runs for the tuning-runner.
 *
 * What differs from the seed's YAML, and why (nothing else does):
 * - the dataset URL → a local HTTP server with a dolly-style parquet (127.0.0.1: the controller
 *   runs with --tuning-allow-loopback-inputs);
 * - the output image and its push Secret's name → a local registry and a Secret that exists (the
 *   seed's `ACR_REGISTRY_SECRET_HERE` is a placeholder, not a valid Secret name);
 * - `method: qlora` → `lora`: QLoRA loads the model in 4 bit with bitsandbytes, which needs a CUDA
 *   GPU (the trainer refuses it on CPU).
 * And the model trained is the trainer's TINY model (`kaito_trainer.tiny`, random weights),
 * standing in for phi-3-mini-128k-instruct's weights, which cannot be downloaded here.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageEntry } from './process-kubelet.js';
import { repoRoot } from './repo.js';
import { trainerPython } from './tuning-inputs.js';

/**
 * The seed's example (its quick start: `examples/fine-tuning/kaito_workspace_tuning_phi_3.yaml`),
 * verbatim. The seed's prose around it, translated: "The status of the Workspace can be checked
 * with the following command. Once the WORKSPACEREADY column is True, the model was deployed
 * successfully."
 */
export const SEED_TUNING_YAML = `apiVersion: kaito.sh/v1alpha1
kind: Workspace
metadata:
  name: workspace-tuning-phi-3
resource:
  instanceType: "Standard_NC6s_v3"
  labelSelector:
    matchLabels:
      app: tuning-phi-3
tuning:
  preset:
    name: phi-3-mini-128k-instruct
  method: qlora
  input:
    urls:
      - "https://huggingface.co/datasets/philschmid/dolly-15k-oai-style/resolve/main/data/train-00000-of-00001-54e3756291ca09c6.parquet?download=true"
  output:
    image: "ACR_REPO_HERE.azurecr.io/IMAGE_NAME_HERE:0.0.1" # Tuning Output ACR Path
    imagePushSecret: ACR_REGISTRY_SECRET_HERE
`;
export const SEED_TUNING_NAME = 'workspace-tuning-phi-3';
const SEED_URL = 'https://huggingface.co/datasets/philschmid/dolly-15k-oai-style/resolve/main/data/train-00000-of-00001-54e3756291ca09c6.parquet?download=true';

export interface TuningRewrites {
  readonly name?: string;
  readonly url: string;
  readonly image: string;
  readonly pushSecret: string;
}

/** The seed's YAML with only the documented replacements (see the file comment). */
export function tuningManifest(o: TuningRewrites): string {
  const out = SEED_TUNING_YAML.replace(`name: ${SEED_TUNING_NAME}`, `name: ${o.name ?? SEED_TUNING_NAME}`)
    .replace('method: qlora', 'method: lora')
    .replace(`"${SEED_URL}"`, `"${o.url}"`)
    .replace('"ACR_REPO_HERE.azurecr.io/IMAGE_NAME_HERE:0.0.1"', `"${o.image}"`)
    .replace('imagePushSecret: ACR_REGISTRY_SECRET_HERE', `imagePushSecret: ${o.pushSecret}`);
  return out;
}

/** Kaito's lora template (the chart's lora-params-template), pointed at the tiny model, in float32 for the CPU. */
export function loraTemplate(modelDir: string, steps: number, o: { readonly outputDir?: string; readonly learningRate?: number } = {}): string {
  return [
    'training_config:',
    '  ModelConfig:',
    `    pretrained_model_name_or_path: "${modelDir}"`,
    '    torch_dtype: "float32"',
    '    local_files_only: true',
    '  QuantizationConfig:',
    '    load_in_4bit: false',
    '  LoraConfig:',
    '    r: 4',
    '    lora_alpha: 8',
    '    lora_dropout: 0.0',
    '    target_modules: ["q_proj", "v_proj"]',
    '  TrainingArguments:',
    `    output_dir: "${o.outputDir ?? '/mnt/results'}"`,
    '    save_strategy: "no"',
    `    max_steps: ${steps}`,
    '    per_device_train_batch_size: 2',
    `    learning_rate: ${o.learningRate ?? 0.01}`,
    '    logging_steps: 1',
    '    max_length: 64',
    '  DatasetConfig:',
    '    shuffle_dataset: true',
    '    train_test_split: 1',
  ].join('\n');
}

/**
 * The process kubelet's image-map entry for the tuning-runner image. The runner's rendered command
 * is `tuning-runner` (the image's program): on this machine a shim on the "image's" PATH runs it
 * from source, with the trainer venv's python. Containers here share the host's /tmp (the process
 * kubelet has no image file systems), so the shim gives each pod the private work folder its own
 * container's /tmp would be (HOSTNAME is the pod's name); without it, concurrent runs overwrite
 * each other's dataset.jsonl. `dir` holds the shim and the work folders.
 */
export function tuningRunnerImage(dir: string): ImageEntry {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const runner = join(repoRoot(), 'apps', 'tuning-runner', 'src', 'main.ts');
  writeFileSync(join(bin, 'tuning-runner'), `#!/bin/sh\nexport WORK_DIR="${dir}/work-$HOSTNAME"\nexec "${process.execPath}" --conditions=@kaito-ts/source --import tsx "${runner}" "$@"\n`);
  chmodSync(join(bin, 'tuning-runner'), 0o755);
  return { image: '*tuning-runner', env: { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, TRAINER_PYTHON: trainerPython(), PYTHONUNBUFFERED: '1' } };
}
