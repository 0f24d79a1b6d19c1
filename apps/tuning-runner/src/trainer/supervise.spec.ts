import { Writable } from 'node:stream';
import { TrainerError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { TrainingProgress } from '../report/report.js';
import { parseEvent, superviseTrainer } from './supervise.js';

/** A fake trainer: a node script that speaks the same stdout protocol and exit codes. */
function fake(script: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['-e', script] };
}

function quietLogger(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    log: createLogger({ format: 'json', stream }),
    lines: () =>
      text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const event = (e: object): string => `console.log('KAITO_EVENT ' + JSON.stringify(${JSON.stringify(e)}));`;

async function failure(p: Promise<unknown>): Promise<TrainerError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TrainerError);
    return err as TrainerError;
  }
  throw new Error('expected the trainer to fail');
}

describe('superviseTrainer', () => {
  it('reports each progress event and resolves with the saved step and loss', async () => {
    const seen: TrainingProgress[] = [];
    const { log } = quietLogger();
    const outcome = await superviseTrainer(
      fake(
        event({ event: 'progress', step: 1, max_steps: 2, epoch: 0.5, loss: 2.5 }) +
          event({ event: 'progress', step: 2, max_steps: 2, epoch: 1, loss: 1.25 }) +
          event({ event: 'saved', step: 2, train_loss: 1.9 }),
      ),
      { log, gracePeriodMs: 1000, onProgress: (p) => seen.push(p) },
    );
    expect(seen).toEqual([
      { step: 1, maxSteps: 2, epoch: 0.5, loss: 2.5 },
      { step: 2, maxSteps: 2, epoch: 1, loss: 1.25 },
    ]);
    expect(outcome).toMatchObject({ steps: 2, trainLoss: 1.9 });
  });

  it('streams plain stdout and stderr lines into the log', async () => {
    const { log, lines } = quietLogger();
    await superviseTrainer(fake("console.log('loading weights'); console.error('a warning');"), { log, gracePeriodMs: 1000 });
    expect(lines()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'trainer', stream: 'stdout', line: 'loading weights' }),
        expect.objectContaining({ message: 'trainer', stream: 'stderr', line: 'a warning' }),
      ]),
    );
  });

  it('maps exit code 3 to InvalidConfig with the trainer message', async () => {
    const err = await failure(
      superviseTrainer(fake(event({ event: 'error', reason: 'InvalidConfig', message: 'LoraConfig.rank: unknown field' }) + 'process.exit(3);'), {
        log: quietLogger().log,
        gracePeriodMs: 1000,
      }),
    );
    expect(err.code).toBe('InvalidConfig');
    expect(err.message).toBe('the trainer rejected the config: LoraConfig.rank: unknown field');
  });

  it('maps exit code 5 to OOMKilled and names the step', async () => {
    const err = await failure(
      superviseTrainer(
        fake(event({ event: 'progress', step: 7, max_steps: 100, loss: 1 }) + event({ event: 'error', reason: 'OOMKilled', message: 'GPU out of memory: tried to allocate 2 GiB' }) + 'process.exit(5);'),
        { log: quietLogger().log, gracePeriodMs: 1000 },
      ),
    );
    expect(err.code).toBe('OOMKilled');
    expect(err.message).toBe('GPU out of memory: tried to allocate 2 GiB at step 7/100; lower per_device_train_batch_size or max_length, or use qlora');
  });

  it('maps a SIGKILL from outside to OOMKilled', async () => {
    const err = await failure(superviseTrainer(fake("process.kill(process.pid, 'SIGKILL');"), { log: quietLogger().log, gracePeriodMs: 1000 }));
    expect(err.code).toBe('OOMKilled');
    expect(err.signal).toBe('SIGKILL');
  });

  it('reports the exception line of a traceback for an unexpected failure', async () => {
    const traceback = ['Traceback (most recent call last):', '  File "train.py", line 3, in <module>', 'KeyError: "lm_head"', '  (during cleanup)'];
    const err = await failure(
      superviseTrainer(fake(`${traceback.map((l) => `console.error(${JSON.stringify(l)});`).join('')} process.exit(1);`), {
        log: quietLogger().log,
        gracePeriodMs: 1000,
      }),
    );
    expect(err.code).toBe('TrainerFailed');
    expect(err.message).toBe('the trainer exited with code 1: KeyError: "lm_head"');
  });

  it('names a trainer command that cannot start', async () => {
    const err = await failure(superviseTrainer({ command: '/nonexistent/python3', args: [] }, { log: quietLogger().log, gracePeriodMs: 1000 }));
    expect(err.message).toBe('cannot start the trainer (/nonexistent/python3): spawn /nonexistent/python3 ENOENT');
  });

  it('forwards SIGTERM and reports the checkpoint the trainer saved', async () => {
    const controller = new AbortController();
    // The handler is installed before the first event, as the real trainer does.
    const script =
      `process.on('SIGTERM', () => { ${event({ event: 'terminated', step: 5, checkpoint: '/mnt/results/checkpoint-5' })} process.exit(8); });` +
      event({ event: 'progress', step: 4, max_steps: 50, loss: 2 }) +
      'setInterval(() => {}, 1000);';
    const running = superviseTrainer(fake(script), { log: quietLogger().log, gracePeriodMs: 5000, signal: controller.signal, onProgress: () => controller.abort() });
    const err = await failure(running);
    expect(err.code).toBe('Terminated');
    expect(err.message).toBe('the run was terminated (SIGTERM); the trainer stopped at step 4/50; checkpoint saved to /mnt/results/checkpoint-5');
  });

  it('kills a trainer that ignores SIGTERM after the grace period', async () => {
    const controller = new AbortController();
    const script = `process.on('SIGTERM', () => {}); ${event({ event: 'started' })} setInterval(() => {}, 1000);`;
    const started = Date.now();
    const err = await failure(
      superviseTrainer(fake(script), { log: quietLogger().log, gracePeriodMs: 300, signal: controller.signal, onEvent: () => controller.abort() }),
    );
    expect(err.code).toBe('Terminated');
    expect(err.signal).toBe('SIGKILL');
    expect(err.message).toBe('the run was terminated (SIGTERM); the trainer was killed after the grace period; no checkpoint was saved');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

describe('parseEvent', () => {
  it('ignores lines without the prefix or with broken JSON', () => {
    expect(parseEvent("{'loss': 1.0}")).toBeUndefined();
    expect(parseEvent('KAITO_EVENT {oops')).toBeUndefined();
    expect(parseEvent('KAITO_EVENT {"event":"saved"}')).toEqual({ event: 'saved' });
  });
});
