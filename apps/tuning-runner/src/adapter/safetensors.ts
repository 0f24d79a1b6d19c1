/**
 * safetensors header parsing and validation: u64 LE header length, a JSON header of
 * `{name: {dtype, shape, data_offsets}}` (+ `__metadata__`), then the tensor bytes. Only the
 * header is read; offsets are checked against shapes, dtypes and the file size.
 */
import { open } from 'node:fs/promises';
import { AdapterError } from '../errors.js';

export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

export interface TensorInfo {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly offsets: readonly [number, number];
}

export interface SafetensorsHeader {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly headerBytes: number;
  readonly fileBytes: number;
}

const MAX_HEADER = 100 * 1024 * 1024;

export async function readSafetensorsHeader(path: string, name = path): Promise<SafetensorsHeader> {
  const fail = (problem: string): never => {
    throw new AdapterError(`${name}: ${problem}`);
  };
  const handle = await open(path, 'r');
  let fileBytes: number;
  let json: string;
  let headerBytes: number;
  try {
    fileBytes = (await handle.stat()).size;
    if (fileBytes < 8) fail(`not a safetensors file: ${fileBytes} bytes is shorter than the 8-byte header length`);
    const len = Buffer.alloc(8);
    await handle.read(len, 0, 8, 0);
    const n = len.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER)) fail(`not a safetensors file: header length ${n} is over 100 MiB`);
    headerBytes = Number(n);
    if (8 + headerBytes > fileBytes) fail(`truncated: the header says ${headerBytes} bytes but the file has ${fileBytes - 8} after the length`);
    const buf = Buffer.alloc(headerBytes);
    await handle.read(buf, 0, headerBytes, 8);
    json = buf.toString('utf8');
  } finally {
    await handle.close();
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    return fail(`the header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('the header is not a JSON object');

  const dataBytes = fileBytes - 8 - headerBytes;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof v?.dtype === 'string' ? DTYPE_BYTES[v.dtype] : undefined;
    if (size === undefined) fail(`tensor ${key}: unknown dtype ${JSON.stringify(v?.dtype)}`);
    if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor ${key}: shape must be a list of non-negative integers`);
    const offsets = v.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor ${key}: data_offsets must be [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    const shape = v.shape as number[];
    const expected = shape.reduce((a, d) => a * d, 1) * (size as number);
    if (end - begin !== expected) fail(`tensor ${key}: ${v.dtype as string}${JSON.stringify(shape)} needs ${expected} bytes but data_offsets span ${end - begin}`);
    if (end > dataBytes) fail(`tensor ${key}: data_offsets end ${end} is past the ${dataBytes} data bytes (truncated file?)`);
    tensors.set(key, { dtype: v.dtype as string, shape, offsets: [begin, end] });
  }
  if (tensors.size === 0) fail('no tensors');
  const spans = [...tensors.entries()].sort((a, b) => a[1].offsets[0] - b[1].offsets[0]);
  let cursor = 0;
  for (const [key, info] of spans) {
    if (info.offsets[0] !== cursor) fail(`tensor ${key}: starts at ${info.offsets[0]}, expected ${cursor} (overlap or gap)`);
    cursor = info.offsets[1];
  }
  if (cursor !== dataBytes) fail(`the tensors cover ${cursor} bytes but the file has ${dataBytes} data bytes`);
  return { tensors, metadata, headerBytes, fileBytes };
}

/** Writes a safetensors file (tests, benchmarks, fixtures). Tensors are zero-filled unless `fill` is given. */
export function encodeSafetensors(tensors: Record<string, { dtype: string; shape: number[] }>, fill?: (name: string, bytes: Buffer) => void): Buffer {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.shape.reduce((a, d) => a * d, 1) * (DTYPE_BYTES[t.dtype] ?? 1);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    const data = Buffer.alloc(bytes);
    fill?.(name, data);
    parts.push(data);
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...parts]);
}
