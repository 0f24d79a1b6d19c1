import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DatasetError, TrainerError } from '../errors.js';
import { createLogger } from '../logger.js';
import { ProgressFile } from '../report/report.js';
import { loadSettings } from '../settings.js';
import { dollyRows } from '../testing/fixtures.js';
import { loadConfig, trainerConfig } from './config.js';
import { abortable, TerminatedError, type RunContext } from './context.js';
import { convertDataset } from './convert.js';
import { gatherInputs } from './download.js';
import { reportFailure } from './report.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tr-phases-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const silent = () => createLogger({ format: 'json', stream: new Writable({ write: (_c, _e, done) => done() }) });

function context(env: Record<string, string> = {}, signal = new AbortController().signal): RunContext {
  const settings = loadSettings([], {
    TUNING_METHOD: 'lora',
    OUTPUT_VOLUME_DIR: join(root, 'out'),
    TUNING_CONFIG_PATH: join(root, 'training_config.yaml'),
    DATA_DIR: join(root, 'data'),
    RESULTS_DIR: join(root, 'results'),
    WORK_DIR: root,
    TERMINATION_LOG: join(root, 'termination-log'),
    MODEL_DIR: '/models/base',
    ...env,
  });
  return { settings, log: silent(), signal, trainerDir: '/nonexistent', progress: new ProgressFile(join(root, 'progress.json')) };
}

describe('abortable', () => {
  it('turns whatever an aborted piece of work threw into Terminated, naming what the run was doing', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await abortable(controller.signal, 'downloading', () => Promise.reject(new DOMException('aborted', 'AbortError'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminatedError);
    expect(err).toMatchObject({ code: 'Terminated', message: 'the run was terminated (SIGTERM) while downloading' });
  });

  it("keeps the trainer's own Terminated error, which says where the checkpoint went", async () => {
    const controller = new AbortController();
    controller.abort();
    const trainer = new TrainerError('Terminated', 'terminated; checkpoint saved to /r/checkpoint-2', 8, null);
    await expect(abortable(controller.signal, 'training', () => Promise.reject(trainer))).rejects.toBe(trainer);
  });

  it('ends the run even when the work finished after the abort', async () => {
    const controller = new AbortController();
    await expect(
      abortable(controller.signal, 'training', async () => {
        controller.abort();
        return 'done';
      }),
    ).rejects.toThrow('while training');
  });

  it('passes other failures through when nothing was aborted', async () => {
    const bad = new DatasetError('a.csv', 'row 2', 'bad');
    await expect(abortable(new AbortController().signal, 'converting the dataset', () => Promise.reject(bad))).rejects.toBe(bad);
  });
});

describe('loadConfig', () => {
  it('fills output_dir and the model path from the settings when the config names none', async () => {
    await writeFile(join(root, 'training_config.yaml'), 'training_config:\n  LoraConfig:\n    r: 4\n');
    const config = await loadConfig(context().settings);
    expect(config.outputDir).toBe(join(root, 'results'));
    expect(config.training.TrainingArguments['output_dir']).toBe(join(root, 'results'));
    expect(config.training.ModelConfig['pretrained_model_name_or_path']).toBe('/models/base');
    expect(config.training.LoraConfig['r']).toBe(4);
  });

  it("keeps the config's own output_dir and model", async () => {
    await writeFile(join(root, 'training_config.yaml'), 'training_config:\n  ModelConfig:\n    pretrained_model_name_or_path: /m\n  TrainingArguments:\n    output_dir: /o\n');
    const config = await loadConfig(context().settings);
    expect(config).toMatchObject({ outputDir: '/o', training: { ModelConfig: { pretrained_model_name_or_path: '/m' } } });
  });

  it('says which file it cannot read', async () => {
    await expect(loadConfig(context().settings)).rejects.toThrow(`cannot read the tuning config ${join(root, 'training_config.yaml')}`);
  });
});

describe('trainerConfig', () => {
  it('has no dataset fields before the dataset exists, and both after', async () => {
    await writeFile(join(root, 'training_config.yaml'), 'training_config: {}\n');
    const ctx = context();
    const config = await loadConfig(ctx.settings);
    expect(trainerConfig(ctx.settings, config)).not.toHaveProperty('dataset_file');
    expect(trainerConfig(ctx.settings, config)).not.toHaveProperty('dataset_format');
    expect(trainerConfig(ctx.settings, config, { file: '/w/dataset.jsonl', format: 'text' })).toMatchObject({
      method: 'lora',
      dataset_file: '/w/dataset.jsonl',
      dataset_format: 'text',
    });
  });
});

describe('gatherInputs and convertDataset', () => {
  it('lists the data directory and converts it into one JSONL', async () => {
    await mkdir(join(root, 'data', '.hidden'), { recursive: true });
    await writeFile(join(root, 'data', 'chat.jsonl'), dollyRows(3).map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(join(root, 'data', '.hidden', 'x.jsonl'), 'not data');
    const ctx = context();
    const inputs = await gatherInputs(ctx);
    expect(inputs.map((i) => i.name)).toEqual(['chat.jsonl']);
    const dataset = await convertDataset(ctx, inputs);
    expect(dataset).toEqual({ file: join(root, 'dataset.jsonl'), format: 'messages', rows: 3 });
    expect((await readFile(dataset.file, 'utf8')).trim().split('\n')).toHaveLength(3);
    expect(ctx.progress.current).toMatchObject({ phase: 'Converting', rows: 3 });
  });

  it('stops converting on abort and says so', async () => {
    const controller = new AbortController();
    controller.abort();
    const ctx = context({}, controller.signal);
    const input = join(root, 'chat.jsonl');
    await writeFile(input, JSON.stringify(dollyRows(1)[0]));
    await expect(convertDataset(ctx, [{ path: input, name: 'chat.jsonl' }])).rejects.toThrow('the run was terminated (SIGTERM) while converting the dataset');
  });

  it('refuses an empty data directory', async () => {
    await mkdir(join(root, 'data'));
    await expect(gatherInputs(context())).rejects.toThrow('no input files: the data directory is empty and no URLs were given');
  });
});

describe('reportFailure', () => {
  it('writes the reason, the message and the training reached so far', async () => {
    const ctx = context();
    await ctx.progress.update({ phase: 'Training', training: { step: 7, loss: 1.5 } });
    const result = await reportFailure(ctx, new TerminatedError('training'));
    expect(result).toEqual({ reason: 'Terminated', exitCode: 8, message: 'the run was terminated (SIGTERM) while training' });
    expect(JSON.parse(await readFile(join(root, 'termination-log'), 'utf8'))).toEqual({
      phase: 'Failed',
      reason: 'Terminated',
      message: result.message,
      step: 7,
      loss: 1.5,
    });
  });
});
