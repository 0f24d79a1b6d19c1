import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv, readJsonArray, readJsonl, type RowBatch } from './readers.js';

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

describe('batches of large rows', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tr-readers-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // 40 rows of 100 KiB: 1,024 such rows would be 100 MiB held at once, 1,024 rows of 60 MiB
  // (each under the row limit) 60 GiB. A batch ends once it holds about 1 MiB of text.
  const big = (i: number): string => `${i}${'x'.repeat(100 * 1024)}`;
  const rows = Array.from({ length: 40 }, (_, i) => big(i));

  it.each([
    ['train.jsonl', readJsonl, () => rows.map((text) => JSON.stringify({ text })).join('\n')],
    ['train.json', readJsonArray, () => `[${rows.map((text) => JSON.stringify({ text })).join(',')}]`],
    ['train.csv', readCsv, () => `text\n${rows.join('\n')}\n`],
  ] as const)('%s holds at most about 1 MiB of rows per batch, and every row once', async (name, reader, content) => {
    const path = join(dir, name);
    await writeFile(path, content());
    const batches: RowBatch[] = [];
    for await (const batch of reader(path, name)) batches.push(batch);
    const texts = batches.map((b) => b.values.map((v) => (v as { text: string }).text));
    expect(texts.flat()).toEqual(rows);
    for (const t of texts) expect(t.join('').length).toBeLessThan(2 * 1024 * 1024 + 100 * 1024);
    expect(batches.length).toBeGreaterThan(1);
  });
});
