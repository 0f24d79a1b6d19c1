import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from './readers.js';

describe('readCsv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tr-readers-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('fails with the read error when the file cannot be read, instead of an unhandled stream error', async () => {
    // Opening a directory succeeds; reading it fails with EISDIR, as an I/O error mid-file would.
    const read = async (): Promise<number> => {
      let rows = 0;
      for await (const batch of readCsv(dir, 'train.csv')) rows += batch.values.length;
      return rows;
    };
    await expect(read()).rejects.toThrow('EISDIR');
  });
});
