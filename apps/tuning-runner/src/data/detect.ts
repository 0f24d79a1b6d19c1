import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { DatasetError } from '../errors.js';

export type InputFormat = 'parquet' | 'jsonl' | 'json' | 'csv';

const EXTENSIONS: Readonly<Record<string, InputFormat>> = {
  '.parquet': 'parquet',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
};

const MAGIC = 'PAR1';

function extensionOf(name: string): string | undefined {
  const m = /(\.[A-Za-z0-9]+)$/.exec(name);
  return m?.[1]?.toLowerCase();
}

async function peek(path: string): Promise<{ size: number; head: Buffer; tail: Buffer }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, 4));
    await handle.read(tail, 0, tail.length, Math.max(0, size - tail.length));
    return { size, head, tail };
  } finally {
    await handle.close();
  }
}

function firstChar(head: Buffer): string | undefined {
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  return /\S/.exec(text)?.[0];
}

/**
 * The file's format from its content, checked against its name: parquet by its PAR1 magic
 * bytes; JSON by its first character (`[` an array, `{` JSON Lines); CSV by name only. A name
 * that says one thing and content that says another is an error, not a guess.
 */
export async function detectFormat(path: string, displayName = basename(path)): Promise<InputFormat> {
  const { size, head, tail } = await peek(path);
  if (size === 0) throw new DatasetError(displayName, undefined, 'the file is empty');
  const isParquet = size >= 8 && head.subarray(0, 4).toString('latin1') === MAGIC;
  const byName = EXTENSIONS[extensionOf(displayName) ?? ''];
  if (isParquet && tail.toString('latin1') !== MAGIC) {
    throw new DatasetError(displayName, undefined, 'truncated parquet file: it starts with PAR1 but does not end with it');
  }
  if (byName === 'parquet') {
    if (!isParquet) throw new DatasetError(displayName, undefined, 'not a parquet file: it does not start with the PAR1 magic bytes');
    return 'parquet';
  }
  if (isParquet) {
    if (byName !== undefined) throw new DatasetError(displayName, undefined, `the name says ${byName} but the content is parquet`);
    return 'parquet';
  }
  const first = firstChar(head);
  if (byName === 'csv') return 'csv';
  if (byName === 'jsonl') return 'jsonl';
  if (byName === 'json') {
    if (first === '[') return 'json';
    if (first === '{') return 'jsonl';
    throw new DatasetError(displayName, undefined, `not JSON: expected "[" or "{" first, got ${JSON.stringify(first ?? '')}`);
  }
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  throw new DatasetError(displayName, undefined, 'unknown format: expected a .parquet, .jsonl, .json or .csv file');
}
