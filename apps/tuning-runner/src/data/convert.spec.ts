import { mkdtemp, readFile, rm, writeFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { DatasetError } from '../errors.js';
import { dollyRows, writeDollyParquet } from '../testing/fixtures.js';
import { convertToJsonl, type InputFile } from './convert.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-convert-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string | Uint8Array): Promise<InputFile> {
  const path = join(dir, name);
  await writeFile(path, content);
  return { path, name };
}

async function convert(...inputs: InputFile[]): Promise<{ rows: unknown[]; result: Awaited<ReturnType<typeof convertToJsonl>> }> {
  const out = join(dir, 'out.jsonl');
  const result = await convertToJsonl(inputs, out);
  const text = await readFile(out, 'utf8');
  return { result, rows: text.trim().split('\n').map((l) => JSON.parse(l) as unknown) };
}

async function failure(...inputs: InputFile[]): Promise<string> {
  try {
    await convertToJsonl(inputs, join(dir, 'out.jsonl'));
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return (err as Error).message;
  }
  throw new Error('expected the conversion to fail');
}

const chat = (user: string, assistant: string): { messages: { role: string; content: string }[] } => ({
  messages: [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ],
});

describe('convertToJsonl', () => {
  it('converts a dolly-style parquet file into chat rows with role and content', async () => {
    const rows = dollyRows(50);
    const path = join(dir, 'train-00000-of-00001.parquet');
    await writeDollyParquet(path, rows, { rowGroupSize: 20 });
    const { rows: out, result } = await convert({ path, name: 'train-00000-of-00001.parquet' });
    expect(result).toMatchObject({ rows: 50, format: 'messages', files: [{ name: 'train-00000-of-00001.parquet', format: 'parquet', rows: 50 }] });
    expect(out).toEqual(rows.map((r) => ({ messages: r.messages.map((m) => ({ role: m.role, content: m.content })) })));
  });

  it.each(['UNCOMPRESSED', 'GZIP', 'ZSTD'] as const)('reads %s parquet files', async (codec) => {
    const rows = dollyRows(5);
    const path = join(dir, 'd.parquet');
    await writeDollyParquet(path, rows, { codec });
    const metadata = parquetMetadata((await readFile(path)).buffer as ArrayBuffer);
    expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe(codec);
    expect((await convert({ path, name: 'd.parquet' })).rows).toEqual(rows);
  });

  it('converts jsonl chat rows and skips blank lines', async () => {
    const input = await file('chat.jsonl', `${JSON.stringify(chat('hi', 'hello'))}\n\n${JSON.stringify(chat('a', 'b'))}\n`);
    expect((await convert(input)).rows).toEqual([chat('hi', 'hello'), chat('a', 'b')]);
  });

  it('converts a JSON array of prompt/completion rows', async () => {
    const input = await file('pc.json', JSON.stringify([{ prompt: 'Q: 1+1?', completion: ' 2' }, { prompt: 'Q: [x]', completion: ' "y", ok' }], null, 2));
    const { rows, result } = await convert(input);
    expect(result.format).toBe('prompt-completion');
    expect(rows).toEqual([{ prompt: 'Q: 1+1?', completion: ' 2' }, { prompt: 'Q: [x]', completion: ' "y", ok' }]);
  });

  it('keeps prompt/completion text that starts with "[" but is not a message list', async () => {
    const rows = [
      { prompt: '[INST] Name two fruits. [/INST]', completion: '["apple", "banana"]' },
      { prompt: '[1, 2] + [3]?', completion: '[1, 2, 3]' },
    ];
    const input = await file('pc.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    expect((await convert(input)).rows).toEqual(rows);
  });

  it('still reads a CSV prompt cell holding a JSON message list', async () => {
    const input = await file('pc.csv', `prompt,completion\n"[{""role"":""user"",""content"":""hi""}]",hello\n`);
    expect((await convert(input)).rows).toEqual([{ prompt: [{ role: 'user', content: 'hi' }], completion: 'hello' }]);
  });

  it('reads a .json file that holds JSON lines', async () => {
    const input = await file('lines.json', `${JSON.stringify({ text: 'one' })}\n${JSON.stringify({ text: 'two' })}\n`);
    expect((await convert(input)).rows).toEqual([{ text: 'one' }, { text: 'two' }]);
  });

  it('parses a CSV messages column holding JSON text', async () => {
    const cell = JSON.stringify(chat('What is 2+2?', 'It is 4, of course.').messages).replace(/"/g, '""');
    const input = await file('chat.csv', `id,messages\n1,"${cell}"\n`);
    expect((await convert(input)).rows).toEqual([chat('What is 2+2?', 'It is 4, of course.')]);
  });

  it('turns dolly instruction/context/response columns into a conversation', async () => {
    const input = await file('dolly.csv', 'instruction,context,response,category\nSummarise.,Cats sleep a lot.,Cats nap.,summarization\nSay hi.,,Hi!,open_qa\n');
    expect((await convert(input)).rows).toEqual([chat('Summarise.\n\nCats sleep a lot.', 'Cats nap.'), chat('Say hi.', 'Hi!')]);
  });

  it('writes the rows of several inputs into one file in order', async () => {
    const a = await file('a.jsonl', `${JSON.stringify({ text: 'a' })}\n`);
    const b = await file('b.csv', 'text\nb\n');
    const { rows, result } = await convert(a, b);
    expect(rows).toEqual([{ text: 'a' }, { text: 'b' }]);
    expect(result.files.map((f) => f.format)).toEqual(['jsonl', 'csv']);
  });
});

describe('convertToJsonl options', () => {
  it('stops between batches when the signal aborts, with its reason', async () => {
    const path = join(dir, 'many.jsonl');
    // Over 1 MiB: the reader yields a batch per 1 MiB chunk read.
    await writeFile(path, Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ text: `row ${i}` })).join('\n'));
    const controller = new AbortController();
    const seen: number[] = [];
    const reason = new Error('run cancelled');
    const run = convertToJsonl([{ path, name: 'many.jsonl' }], join(dir, 'out.jsonl'), {
      signal: controller.signal,
      onProgress: (rows) => {
        seen.push(rows);
        controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThan(60_000);
  });

  it('does not start when the signal has already aborted', async () => {
    const input = await file('a.jsonl', `${JSON.stringify({ text: 'a' })}\n`);
    const reason = new Error('too late');
    await expect(convertToJsonl([input], join(dir, 'out.jsonl'), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('refuses a row whose JSONL line is over maxRowBytes, with its location', async () => {
    // Each CSV record is under the limit; the second one's conversation is not.
    const input = await file('dolly.csv', 'instruction,response\nHi.,Yo.\nSay hello to everyone.,Hello everyone!\n');
    const line = `${JSON.stringify(chat('Say hello to everyone.', 'Hello everyone!'))}\n`;
    await expect(convertToJsonl([input], join(dir, 'out.jsonl'), { limits: { maxRowBytes: line.length - 1 } })).rejects.toThrow(
      `dolly.csv: row 2: the row is ${line.length} bytes as JSON, over the ${line.length - 1} bytes row limit`,
    );
  });
});

describe('convertToJsonl errors', () => {
  it('names the jsonl line that is not JSON', async () => {
    const input = await file('bad.jsonl', `${JSON.stringify({ text: 'ok' })}\n${JSON.stringify({ text: 'ok' })}\n{"text": oops}\n`);
    expect(await failure(input)).toMatch(/^bad\.jsonl: line 3: invalid JSON: Unexpected token/);
  });

  it('names the row and field of a message with an unknown role', async () => {
    const row = { messages: [{ role: 'user', content: 'hi' }, { role: 'bot', content: 'hello' }] };
    const input = await file('chat.jsonl', `${JSON.stringify(chat('a', 'b'))}\n${JSON.stringify(row)}\n`);
    expect(await failure(input)).toBe('chat.jsonl: line 2: messages[1].role: expected one of system, user, assistant, tool, got "bot"');
  });

  it('names a parquet row whose message content is null', async () => {
    const rows = dollyRows(3);
    (rows[2]!.messages[1] as { content: unknown }).content = null;
    const path = join(dir, 'nulls.parquet');
    await writeDollyParquet(path, rows);
    expect(await failure({ path, name: 'nulls.parquet' })).toBe('nulls.parquet: row 3: messages[1].content: expected a string, got null');
  });

  it('names the fields of a row in no known format', async () => {
    const input = await file('odd.csv', 'question,answer\nwhy?,because\n');
    expect(await failure(input)).toBe('odd.csv: row 1: expected a "messages" field, "prompt" and "completion", or "text", got fields question, answer');
  });

  it('names a few fields of a row with very many or very long field names, cut', async () => {
    const row = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i]));
    const many = await file('many.jsonl', `${JSON.stringify({ ['k'.repeat(1 << 20)]: 1, ...row })}\n`);
    expect(await failure(many)).toBe(
      `many.jsonl: line 1: expected a "messages" field, "prompt" and "completion", or "text", got fields ${'k'.repeat(37)}..., f0, f1, f2, f3, f4, f5, f6, f7, f8 and 99991 more`,
    );
  });

  it('rejects an empty message list', async () => {
    const input = await file('empty-messages.jsonl', `${JSON.stringify({ messages: [] })}\n`);
    expect(await failure(input)).toBe('empty-messages.jsonl: line 1: messages: expected at least one message, got an empty list');
  });

  it('rejects a CSV row with more cells than the header', async () => {
    const input = await file('ragged.csv', 'text\nfine\n"a",b\n');
    expect(await failure(input)).toMatch(/^ragged\.csv: row 2: invalid CSV: Invalid Record Length: columns length is 1, got 2 on line 3/);
  });

  it('rejects a truncated parquet file', async () => {
    const path = join(dir, 'cut.parquet');
    await writeDollyParquet(path, dollyRows(20));
    await truncate(path, 300);
    expect(await failure({ path, name: 'cut.parquet' })).toBe('cut.parquet: truncated parquet file: it starts with PAR1 but does not end with it');
  });

  it('names the rows of a parquet row group whose pages are corrupt', async () => {
    const path = join(dir, 'corrupt.parquet');
    await writeDollyParquet(path, dollyRows(40), { rowGroupSize: 20, codec: 'UNCOMPRESSED' });
    const bytes = await readFile(path);
    bytes.fill(0xff, 8, 60); // the first column chunk's page header
    await writeFile(path, bytes);
    expect(await failure({ path, name: 'corrupt.parquet' })).toMatch(/^corrupt\.parquet: rows 1-20: cannot decode parquet data: /);
  });

  it('rejects a .parquet file that is JSON inside', async () => {
    const input = await file('data.parquet', JSON.stringify(chat('a', 'b')));
    expect(await failure(input)).toBe('data.parquet: not a parquet file: it does not start with the PAR1 magic bytes');
  });

  it('rejects a .csv file that is parquet inside', async () => {
    const path = join(dir, 'data.csv');
    await writeDollyParquet(path, dollyRows(2));
    expect(await failure({ path, name: 'data.csv' })).toBe('data.csv: the name says csv but the content is parquet');
  });

  it('rejects an empty file', async () => {
    expect(await failure(await file('empty.jsonl', ''))).toBe('empty.jsonl: the file is empty');
  });

  it('rejects a JSON array with a trailing comma', async () => {
    expect(await failure(await file('t.json', '[{"text":"a"},]'))).toBe('t.json: row 2: invalid JSON: unexpected "]"');
  });

  it('rejects a JSON array that is never closed', async () => {
    expect(await failure(await file('open.json', '[{"text":"a"}, {"text":"b"'))).toBe('open.json: row 2: invalid JSON: the array is not closed (truncated file?)');
  });

  it('rejects inputs whose rows use different formats', async () => {
    const a = await file('a.jsonl', `${JSON.stringify(chat('q', 'a'))}\n`);
    const b = await file('b.jsonl', `${JSON.stringify({ text: 'plain' })}\n`);
    expect(await failure(a, b)).toBe('b.jsonl: line 1: row format "text" differs from "messages" first seen at a.jsonl line 1; every row needs the same format');
  });

  it('rejects an unknown file type', async () => {
    expect(await failure(await file('notes.txt', 'hello'))).toBe('notes.txt: unknown format: expected a .parquet, .jsonl, .json or .csv file');
  });

  it('rejects an input list with no files', async () => {
    await expect(convertToJsonl([], join(dir, 'out.jsonl'))).rejects.toThrow('inputs: no input files: give URLs or put files in the data directory');
  });
});
