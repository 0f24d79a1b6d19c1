import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProgressFile, TERMINATION_MESSAGE_LIMIT, terminationMessage } from './report.js';

describe('terminationMessage', () => {
  it('is the JSON of phase, reason, message and digest', () => {
    expect(JSON.parse(terminationMessage({ phase: 'Succeeded', reason: 'TuningSucceeded', message: 'pushed', digest: 'sha256:abc' }))).toEqual({
      phase: 'Succeeded',
      reason: 'TuningSucceeded',
      message: 'pushed',
      digest: 'sha256:abc',
    });
  });

  it('cuts an over-long message to fit 4096 bytes and keeps the other fields', () => {
    const text = terminationMessage({ phase: 'Failed', reason: 'TrainerFailed', message: 'é'.repeat(5000), step: 12 });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    const parsed = JSON.parse(text) as { message: string; reason: string; step: number };
    expect(parsed).toMatchObject({ reason: 'TrainerFailed', step: 12 });
    expect(parsed.message.endsWith('...')).toBe(true);
  });
});

describe('ProgressFile', () => {
  it('rewrites the file with the merged state on each update', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tr-progress-'));
    try {
      let t = 0;
      const progress = new ProgressFile(join(dir, 'sub', 'progress.json'), () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)));
      await progress.update({ phase: 'Converting', rows: 10 });
      await progress.update({ phase: 'Training', training: { step: 3, maxSteps: 10, loss: 1.5 } });
      expect(JSON.parse(await readFile(join(dir, 'sub', 'progress.json'), 'utf8'))).toEqual({
        phase: 'Training',
        rows: 10,
        training: { step: 3, maxSteps: 10, loss: 1.5 },
        startedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:02.000Z',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
