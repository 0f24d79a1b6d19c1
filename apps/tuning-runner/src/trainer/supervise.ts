/**
 * Runs the Python trainer as a child process and watches it: stdout/stderr streamed line by line
 * into the log, `KAITO_EVENT {json}` lines turned into progress, SIGTERM forwarded (the trainer
 * checkpoints at the next step and exits 8), SIGKILL after the grace period, and the exit status
 * mapped to a reason.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TrainerError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Reasons } from '../reasons.js';
import type { TrainingProgress } from '../report/report.js';

/** Mirrors trainer/kaito_trainer/exits.py. */
export const TrainerExit = { OK: 0, FAILED: 1, INVALID_CONFIG: 3, INVALID_DATASET: 4, OUT_OF_MEMORY: 5, TERMINATED: 8 } as const;

export const EVENT_PREFIX = 'KAITO_EVENT ';

export interface TrainerEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export function parseEvent(line: string): TrainerEvent | undefined {
  if (!line.startsWith(EVENT_PREFIX)) return undefined;
  try {
    const value = JSON.parse(line.slice(EVENT_PREFIX.length)) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { event?: unknown }).event === 'string') return value as TrainerEvent;
  } catch {
    // not an event after all; logged as plain output
  }
  return undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A `progress` event → the fields the progress file carries. */
export function progressOf(e: TrainerEvent): TrainingProgress {
  const out: { -readonly [K in keyof TrainingProgress]: TrainingProgress[K] } = {};
  const step = num(e.step);
  const maxSteps = num(e.max_steps);
  const epoch = num(e.epoch);
  const loss = num(e.loss);
  const evalLoss = num(e.eval_loss);
  const learningRate = num(e.learning_rate);
  if (step !== undefined) out.step = step;
  if (maxSteps !== undefined) out.maxSteps = maxSteps;
  if (epoch !== undefined) out.epoch = epoch;
  if (loss !== undefined) out.loss = loss;
  if (evalLoss !== undefined) out.evalLoss = evalLoss;
  if (learningRate !== undefined) out.learningRate = learningRate;
  return out;
}

export interface TrainerCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface SuperviseOptions {
  readonly log: Logger;
  readonly onProgress?: (progress: TrainingProgress) => void;
  readonly onEvent?: (event: TrainerEvent) => void;
  /** Aborting forwards SIGTERM to the trainer. */
  readonly signal?: AbortSignal;
  /** How long after SIGTERM the trainer may run before SIGKILL. */
  readonly gracePeriodMs: number;
}

export interface TrainerOutcome {
  readonly steps?: number;
  readonly trainLoss?: number;
  readonly events: readonly TrainerEvent[];
}

const TAIL = 40;

/** Starts the trainer and resolves when it exits 0; otherwise rejects with a classified TrainerError. */
export function superviseTrainer(cmd: TrainerCommand, options: SuperviseOptions): Promise<TrainerOutcome> {
  const { log } = options;
  return new Promise<TrainerOutcome>((resolve, reject) => {
    const child = spawn(cmd.command, [...cmd.args], {
      cwd: cmd.cwd,
      env: { ...process.env, ...cmd.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: TrainerEvent[] = [];
    const stderrTail: string[] = [];
    let lastError: TrainerEvent | undefined;
    let lastProgress: TrainingProgress = {};
    let terminated: TrainerEvent | undefined;
    let forwarded = false;
    let killed = false;
    let killTimer: NodeJS.Timeout | undefined;
    let spawnError: Error | undefined;

    const onAbort = (): void => {
      if (forwarded || child.exitCode !== null) return;
      forwarded = true;
      log.info('forwarding SIGTERM to the trainer', { pid: child.pid, gracePeriodMs: options.gracePeriodMs });
      child.kill('SIGTERM');
      killTimer = setTimeout(() => {
        killed = true;
        log.warn('trainer did not exit within the grace period; killing it', { pid: child.pid });
        child.kill('SIGKILL');
      }, options.gracePeriodMs);
    };
    if (options.signal?.aborted) queueMicrotask(onAbort);
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const out = createInterface({ input: child.stdout });
    out.on('line', (line) => {
      const e = parseEvent(line);
      if (!e) {
        if (line.trim()) log.info('trainer', { stream: 'stdout', line });
        return;
      }
      events.push(e);
      options.onEvent?.(e);
      if (e.event === 'progress') {
        lastProgress = progressOf(e);
        options.onProgress?.(lastProgress);
        log.info('training progress', { ...lastProgress });
      } else if (e.event === 'error') {
        lastError = e;
      } else if (e.event === 'terminated') {
        terminated = e;
      } else {
        log.info(`trainer ${e.event}`, { ...e, event: undefined });
      }
    });
    const err = createInterface({ input: child.stderr });
    err.on('line', (line) => {
      if (!line.trim()) return;
      stderrTail.push(line);
      if (stderrTail.length > TAIL) stderrTail.shift();
      log.info('trainer', { stream: 'stderr', line });
    });
    const closed = Promise.all([new Promise((r) => out.once('close', r)), new Promise((r) => err.once('close', r))]);

    child.once('error', (e) => {
      spawnError = e;
    });
    child.once('close', (code, signal) => {
      void closed.then(() => {
        clearTimeout(killTimer);
        options.signal?.removeEventListener('abort', onAbort);
        if (spawnError) {
          reject(new TrainerError(Reasons.TrainerFailed, `cannot start the trainer (${cmd.command}): ${spawnError.message}`, null, null, { cause: spawnError }));
          return;
        }
        if (code === TrainerExit.OK && !forwarded) {
          const saved = events.find((e) => e.event === 'saved');
          resolve({
            ...(num(saved?.step) !== undefined ? { steps: num(saved?.step) as number } : {}),
            ...(num(saved?.train_loss) !== undefined ? { trainLoss: num(saved?.train_loss) as number } : {}),
            events,
          });
          return;
        }
        reject(classify(code, signal));
      });
    });

    function classify(code: number | null, signal: NodeJS.Signals | null): TrainerError {
      const said = typeof lastError?.message === 'string' ? lastError.message : undefined;
      const tail = lastTracebackLine(stderrTail);
      const at = lastProgress.step !== undefined ? ` at step ${lastProgress.step}${lastProgress.maxSteps ? `/${lastProgress.maxSteps}` : ''}` : '';
      if (forwarded) {
        const checkpoint = typeof terminated?.checkpoint === 'string' ? `; checkpoint saved to ${terminated.checkpoint}` : '; no checkpoint was saved';
        const how = killed ? 'was killed after the grace period' : 'stopped';
        return new TrainerError(Reasons.Terminated, `the run was terminated (SIGTERM); the trainer ${how}${at}${checkpoint}`, code, signal);
      }
      if (signal === 'SIGKILL' || code === 137) {
        return new TrainerError(
          Reasons.OOMKilled,
          `the trainer was killed (SIGKILL)${at}, most likely by the out-of-memory killer; raise the memory limit or lower per_device_train_batch_size / max_length`,
          code,
          signal,
        );
      }
      switch (code) {
        case TrainerExit.INVALID_CONFIG:
          return new TrainerError(Reasons.InvalidConfig, `the trainer rejected the config: ${said ?? tail ?? 'no details'}`, code, signal);
        case TrainerExit.INVALID_DATASET:
          return new TrainerError(Reasons.InvalidDataset, `the trainer rejected the dataset: ${said ?? tail ?? 'no details'}`, code, signal);
        case TrainerExit.OUT_OF_MEMORY:
          return new TrainerError(
            Reasons.OOMKilled,
            `${said ?? 'GPU out of memory'}${at}; lower per_device_train_batch_size or max_length, or use qlora`,
            code,
            signal,
          );
        default: {
          const why = said ?? tail ?? 'no error output';
          const status = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          return new TrainerError(Reasons.TrainerFailed, `the trainer ${status}${at}: ${why}`, code, signal);
        }
      }
    }
  });
}

/** The exception line of a Python traceback, else the last line. */
function lastTracebackLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (/^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b/.test(line)) return line;
  }
  return lines[lines.length - 1];
}
