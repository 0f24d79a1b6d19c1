/** Test and benchmark inputs: dolly-style chat rows, parquet files of them, and adapter directories. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Writer } from 'hyparquet-writer';
import { encodeSafetensors } from '../adapter/safetensors.js';

export interface ChatRow {
  messages: { content: string; role: string }[];
}

/** The schema of philschmid/dolly-15k-oai-style: messages: list<struct<content: string, role: string>>. */
export const DOLLY_SCHEMA = [
  { name: 'root', num_children: 1 },
  { name: 'messages', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
] as const;

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is was for on that with as by at from his her an were which this be or are had not but it they one have all ' +
  'their been has when who will more no if out so said what up its about into than them can only other new some could time these ' +
  'two may then do first any my now such like our over man me even most made after also did many before must through back years ' +
  'where much your way well down should because each just those people kubernetes adapter tuning model gpu node cluster weights ' +
  'dataset training inference container registry image layer token prompt response context instruction question answer summary'
).split(' ');

const SYLLABLES = 'ka to ri ne mo sa lu ve di pra cor ten mis ful dra ble tion ing ex per con ad vi sto gra mer pol tec nal ric hu bo zen lit qua form ser mon tri ger'.split(' ');

/** English-like vocabulary: the common words above, then pseudo-words, drawn with Zipf frequencies. */
const VOCABULARY: string[] = (() => {
  const words = [...WORDS];
  const rand = prng(99);
  while (words.length < 20_000) {
    let w = '';
    for (let k = 0, n = 2 + Math.floor(rand() * 3); k < n; k++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.push(w);
  }
  return words;
})();
const ZIPF: Float64Array = (() => {
  const cumulative = new Float64Array(VOCABULARY.length);
  let sum = 0;
  for (let r = 0; r < VOCABULARY.length; r++) cumulative[r] = sum += 1 / (r + 1);
  for (let r = 0; r < cumulative.length; r++) cumulative[r] = (cumulative[r] as number) / sum;
  return cumulative;
})();

function zipfWord(rand: () => number): string {
  const x = rand();
  let lo = 0;
  let hi = ZIPF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ZIPF[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo] ?? 'the';
}

/** A sentence of `words` words; text compresses about as much as English prose does. */
export function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(zipfWord(rand));
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

/** Dolly-like conversations: a system prompt, a question, an answer of realistic lengths. */
export function dollyRows(count: number, seed = 1): ChatRow[] {
  const rand = prng(seed);
  const rows: ChatRow[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      messages: [
        { content: 'You are a helpful assistant.', role: 'system' },
        { content: sentence(rand, 8 + Math.floor(rand() * 40)), role: 'user' },
        { content: sentence(rand, 20 + Math.floor(rand() * 120)), role: 'assistant' },
      ],
    });
  }
  return rows;
}

export interface ParquetOptions {
  readonly rowGroupSize?: number;
  readonly codec?: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD';
}

/**
 * A valid zstd frame made of raw (stored) blocks. Node 20 has no zstd compressor; stored blocks
 * are enough to produce ZSTD-codec parquet pages that a real zstd decoder must read.
 */
export function zstdStore(input: Uint8Array): Uint8Array {
  const MAX_BLOCK = 128 * 1024;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xa0; // 4-byte content size, single segment, no checksum, no dictionary
  header.writeUInt32LE(input.length, 5);
  parts.push(header);
  let off = 0;
  do {
    const size = Math.min(MAX_BLOCK, input.length - off);
    const last = off + size >= input.length ? 1 : 0;
    const bh = Buffer.alloc(3);
    bh.writeUIntLE(last | (size << 3), 0, 3);
    parts.push(bh, Buffer.from(input.subarray(off, off + size)));
    off += size;
  } while (off < input.length);
  return new Uint8Array(Buffer.concat(parts));
}

const COMPRESSORS = { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)), ZSTD: zstdStore };

/** Writes `rows` through hyparquet-writer to any Writer (a file writer keeps memory flat for big files). */
export function writeDollyRows(writer: Writer, batches: Iterable<ChatRow[]>, options: ParquetOptions = {}): void {
  const w = new ParquetWriter({ writer, schema: [...DOLLY_SCHEMA], codec: options.codec ?? 'SNAPPY', compressors: COMPRESSORS });
  for (const rows of batches) {
    w.write({ columnData: [{ name: 'messages', data: rows.map((r) => r.messages) }], rowGroupSize: options.rowGroupSize ?? 5000 });
  }
  w.finish();
}

export async function writeDollyParquet(path: string, rows: ChatRow[], options: ParquetOptions = {}): Promise<void> {
  const writer = new ByteWriter();
  writeDollyRows(writer, [rows], options);
  await writeFile(path, new Uint8Array(writer.getBuffer()));
}

export interface AdapterFixture {
  readonly r?: number;
  readonly loraAlpha?: number;
  readonly targetModules?: string[];
  readonly layers?: number;
  readonly hidden?: number;
  readonly peftType?: string;
  /** Drop this tensor name from the safetensors file. */
  readonly omit?: string;
  readonly dtype?: string;
  /** Fill tensors with pseudo-random bytes (so a benchmark layer does not compress to nothing). */
  readonly random?: boolean;
}

/** A PEFT-style LoRA adapter directory (adapter_config.json + adapter_model.safetensors). */
export async function writeAdapter(dir: string, f: AdapterFixture = {}): Promise<{ tensors: number }> {
  const r = f.r ?? 8;
  const hidden = f.hidden ?? 64;
  const targets = f.targetModules ?? ['q_proj', 'v_proj'];
  const tensors: Record<string, { dtype: string; shape: number[] }> = {};
  for (let layer = 0; layer < (f.layers ?? 2); layer++) {
    for (const t of targets) {
      const base = `base_model.model.model.layers.${layer}.self_attn.${t}`;
      tensors[`${base}.lora_A.weight`] = { dtype: f.dtype ?? 'F32', shape: [r, hidden] };
      tensors[`${base}.lora_B.weight`] = { dtype: f.dtype ?? 'F32', shape: [hidden, r] };
    }
  }
  if (f.omit) delete tensors[f.omit];
  await mkdir(dir, { recursive: true });
  const rand = prng(7);
  const fill = f.random
    ? (_: string, b: Buffer): void => {
        for (let i = 0; i + 4 <= b.length; i += 4) b.writeUInt32LE(Math.floor(rand() * 0xffffffff), i);
      }
    : undefined;
  await writeFile(join(dir, 'adapter_model.safetensors'), encodeSafetensors(tensors, fill));
  await writeFile(
    join(dir, 'adapter_config.json'),
    JSON.stringify({
      peft_type: f.peftType ?? 'LORA',
      task_type: 'CAUSAL_LM',
      r,
      lora_alpha: f.loraAlpha ?? 8,
      lora_dropout: 0,
      target_modules: targets,
      base_model_name_or_path: '/workspace/tfs/weights',
    }),
  );
  return { tensors: Object.keys(tensors).length };
}
