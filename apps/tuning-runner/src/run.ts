/**
 * One tuning run, step by step: config → inputs → dataset → trainer → adapter check → push (or
 * copy). Every step reports its phase to the progress file; the end writes the termination
 * message the workspace controller turns into the WorkspaceSucceeded condition.
 */
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { verifyAdapter } from './adapter/verify.js';
import { effectiveConfig, parseTrainingConfig, type TrainingConfig } from './config/tuning-config.js';
import { convertToJsonl, type InputFile, type ConvertResult } from './data/convert.js';
import { download, fileNameOf, parseInputUrl, redactUrl } from './data/download.js';
import { DatasetError, InvalidConfigError, OutputError, TrainerError, messageOf, reasonOf } from './errors.js';
import type { Logger } from './logger.js';
import { pushAdapter, ADAPTER_FILES, type PushResult } from './oci/push.js';
import { ExitCodes, Phases, Reasons, type Reason } from './reasons.js';
import { ProgressFile, writeTerminationMessage, type Clock, type TerminationMessage } from './report/report.js';
import { insecureRegistryList, type Settings } from './settings.js';
import { superviseTrainer, type TrainerCommand } from './trainer/supervise.js';

export interface RunDeps {
  readonly settings: Settings;
  readonly log: Logger;
  /** Where the kaito_trainer package lives (main.ts resolves it next to the app). */
  readonly trainerDir: string;
  /** Aborted on SIGTERM. */
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
}

export interface RunResult {
  readonly reason: Reason;
  readonly exitCode: number;
  readonly message: string;
  readonly digest?: string;
}

class TerminatedError extends TrainerError {
  constructor(phase: string) {
    super(Reasons.Terminated, `the run was terminated (SIGTERM) while ${phase}`, null, 'SIGTERM');
  }
}

export function trainerCommand(s: Settings, trainerDir: string, args: readonly string[]): TrainerCommand {
  const env = { PYTHONPATH: [trainerDir, process.env.PYTHONPATH].filter(Boolean).join(':') };
  if (s.trainerLauncher === 'accelerate') {
    return {
      command: s.python,
      args: ['-m', 'accelerate.commands.launch', '--num_processes', String(s.trainerProcesses), '--module', 'kaito_trainer', ...args],
      cwd: trainerDir,
      env,
    };
  }
  return { command: s.python, args: ['-m', 'kaito_trainer', ...args], cwd: trainerDir, env };
}

async function listDataDir(dir: string): Promise<InputFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    throw new DatasetError(dir, undefined, `cannot read the data directory: ${messageOf(err)}`, { cause: err });
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !relative(dir, join(e.parentPath, e.name)).split('/').some((p) => p.startsWith('.')))
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path, name: relative(dir, path) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function runTuning(deps: RunDeps): Promise<RunResult> {
  const { settings: s, log } = deps;
  const progress = new ProgressFile(s.progressFile ?? join(s.resultsDir, 'progress.json'), deps.clock, (err) =>
    log.warn('cannot write the progress file', { error: messageOf(err) }),
  );
  const aborted = (phase: string): void => {
    if (deps.signal?.aborted) throw new TerminatedError(phase);
  };
  let outputDir = s.resultsDir;
  let steps: number | undefined;
  let loss: number | undefined;
  try {
    await progress.update({ phase: Phases.Starting });
    await mkdir(s.workDir, { recursive: true });

    // 1. Config, checked by the trainer against the installed libraries before any download.
    let text: string;
    try {
      text = await readFile(s.configPath, 'utf8');
    } catch (err) {
      throw new InvalidConfigError(`cannot read the tuning config ${s.configPath}: ${messageOf(err)}`, { cause: err });
    }
    const user = parseTrainingConfig(text);
    const config: TrainingConfig = effectiveConfig(user, s.method, s.preset);
    if (!user.TrainingArguments?.output_dir) config.TrainingArguments.output_dir = s.resultsDir;
    if (!user.ModelConfig?.pretrained_model_name_or_path) config.ModelConfig.pretrained_model_name_or_path = s.modelDir;
    outputDir = String(config.TrainingArguments.output_dir);
    const datasetFile = join(s.workDir, 'dataset.jsonl');
    const trainerConfigPath = join(s.workDir, 'trainer-config.json');
    const writeTrainerConfig = (format: string): Promise<void> =>
      writeFile(trainerConfigPath, JSON.stringify({ method: s.method, ...config, dataset_file: datasetFile, dataset_format: format }, null, 2));
    await writeTrainerConfig('messages');
    log.info('config', { method: s.method, preset: s.preset, config });
    await superviseTrainer(trainerCommand(s, deps.trainerDir, ['--config', trainerConfigPath, '--check-config']), {
      log: log.child({ step: 'check-config' }),
      gracePeriodMs: s.gracePeriodSeconds * 1000,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    aborted('checking the config');

    // 2. Inputs.
    let inputs: InputFile[];
    if (s.dataUrls && s.dataUrls.length > 0) {
      await progress.update({ phase: Phases.Downloading, downloadedBytes: 0 });
      const dir = join(s.workDir, 'downloads');
      await mkdir(dir, { recursive: true });
      inputs = [];
      let total = 0;
      for (const [i, raw] of s.dataUrls.entries()) {
        const input = parseInputUrl(raw);
        const name = fileNameOf(input.url);
        const dest = join(dir, `${String(i).padStart(3, '0')}-${name}`);
        const result = await download(input, dest, {
          maxBytes: s.maxDownloadBytes,
          log,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          ...(deps.signal ? { signal: deps.signal } : {}),
        }).catch((err: unknown) => {
          aborted('downloading');
          throw err;
        });
        total += result.bytes;
        await progress.update({ downloadedBytes: total });
        inputs.push({ path: result.path, name: `${name} (${redactUrl(input.url)})` });
        aborted('downloading');
      }
    } else {
      inputs = await listDataDir(s.dataDir);
      if (inputs.length === 0) throw new DatasetError(s.dataDir, undefined, 'no input files: the data directory is empty and no URLs were given');
    }

    // 3. One validated JSONL.
    await progress.update({ phase: Phases.Converting, rows: 0 });
    const started = Date.now();
    let lastReport = 0;
    const converted: ConvertResult = await convertToJsonl(inputs, datasetFile, {
      log,
      onProgress: (rows) => {
        aborted('converting the dataset');
        if (rows - lastReport >= 10_000) {
          lastReport = rows;
          void progress.update({ rows });
        }
      },
    });
    log.info('dataset ready', { rows: converted.rows, format: converted.format, bytesIn: converted.bytesIn, ms: Date.now() - started });
    await progress.update({ rows: converted.rows });
    await writeTrainerConfig(converted.format);
    aborted('converting the dataset');

    // 4. Train.
    await progress.update({ phase: Phases.Training, training: {} });
    await rm(join(outputDir, 'fine_tuning_completed.txt'), { force: true });
    const outcome = await superviseTrainer(trainerCommand(s, deps.trainerDir, ['--config', trainerConfigPath]), {
      log: log.child({ step: 'train' }),
      gracePeriodMs: s.gracePeriodSeconds * 1000,
      onProgress: (training) => {
        steps = training.step ?? steps;
        loss = training.loss ?? loss;
        void progress.update({ training });
      },
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    steps = outcome.steps ?? steps;
    loss = outcome.trainLoss ?? loss;
    aborted('training');

    // 5. Check the adapter.
    await progress.update({ phase: Phases.Verifying });
    const summary = await verifyAdapter(outputDir, config.LoraConfig);
    log.info('adapter verified', { ...summary });

    // 6. Ship it.
    let pushed: PushResult | undefined;
    let message: string;
    if (s.outputImage) {
      await progress.update({ phase: Phases.Pushing, image: s.outputImage });
      pushed = await pushAdapter(outputDir, {
        image: s.outputImage,
        ...(s.preset ? { modelName: s.preset } : {}),
        dockerConfigDir: s.dockerConfig,
        insecureRegistries: insecureRegistryList(s),
        workDir: s.workDir,
        log,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      message = `adapter pushed to ${pushed.image}@${pushed.digest}`;
    } else {
      const dest = s.outputVolume as string;
      await progress.update({ phase: Phases.Copying });
      try {
        await mkdir(dest, { recursive: true });
        for (const f of ADAPTER_FILES) await copyFile(join(outputDir, f), join(dest, f));
      } catch (err) {
        throw new OutputError(`cannot copy the adapter to ${dest}: ${messageOf(err)}`, { cause: err });
      }
      message = `adapter copied to ${dest}`;
    }
    const done: TerminationMessage = {
      phase: 'Succeeded',
      reason: Reasons.TuningSucceeded,
      message,
      ...(pushed ? { image: pushed.image, digest: pushed.digest } : {}),
      ...(steps !== undefined ? { step: steps } : {}),
      ...(loss !== undefined ? { loss } : {}),
    };
    await progress.update({ phase: Phases.Succeeded, reason: Reasons.TuningSucceeded, message, ...(pushed ? { digest: pushed.digest } : {}) });
    await report(done);
    log.info('tuning succeeded', { message, digest: pushed?.digest });
    return { reason: Reasons.TuningSucceeded, exitCode: 0, message, ...(pushed ? { digest: pushed.digest } : {}) };
  } catch (err) {
    const reason = reasonOf(err);
    const message = messageOf(err);
    log.error('tuning failed', { reason, error: err });
    await progress.update({ phase: Phases.Failed, reason, message });
    await report({ phase: 'Failed', reason, message, ...(steps !== undefined ? { step: steps } : {}), ...(loss !== undefined ? { loss } : {}) });
    return { reason, exitCode: ExitCodes[reason], message };
  } finally {
    await progress.flush();
  }

  async function report(m: TerminationMessage): Promise<void> {
    try {
      await writeTerminationMessage(s.terminationLog, m);
    } catch (err) {
      log.warn('cannot write the termination message', { path: s.terminationLog, error: messageOf(err) });
    }
  }
}
