/**
 * Hand-built parquet files for hostile-input tests: a small Thrift compact-protocol writer and a
 * one-column file whose every claim (schema, column metadata, page header, page bytes) a test can
 * falsify. Writers such as hyparquet-writer only write valid files, so these claims are built here.
 */
import { gzipSync } from 'node:zlib';

/** A Thrift value with its wire type. */
export type Thrift =
  | { readonly t: 'i32' | 'i64'; readonly v: number | bigint }
  | { readonly t: 'bin'; readonly v: string | Uint8Array }
  | { readonly t: 'list'; readonly elem: 'i32' | 'bin' | 'struct'; readonly v: readonly Thrift[] }
  | { readonly t: 'struct'; readonly v: Fields };
/** Field id → value; undefined fields are left out. */
export type Fields = Readonly<Record<number, Thrift | undefined>>;

export const i32 = (v: number): Thrift => ({ t: 'i32', v });
export const i64 = (v: number | bigint): Thrift => ({ t: 'i64', v });
export const bin = (v: string | Uint8Array): Thrift => ({ t: 'bin', v });
export const struct = (v: Fields): Thrift => ({ t: 'struct', v });
export const list = (elem: 'i32' | 'bin' | 'struct', v: readonly Thrift[]): Thrift => ({ t: 'list', elem, v });

const TYPE = { i32: 5, i64: 6, bin: 8, list: 9, struct: 12 } as const;

class Out {
  bytes: number[] = [];
  varint(n: bigint): void {
    let x = n;
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }
  zigzag(n: number | bigint): void {
    const x = BigInt(n);
    this.varint(x >= 0n ? x << 1n : ((-x) << 1n) - 1n);
  }
  value(value: Thrift): void {
    switch (value.t) {
      case 'i32':
      case 'i64':
        return this.zigzag(value.v);
      case 'bin': {
        const b = typeof value.v === 'string' ? Buffer.from(value.v) : value.v;
        this.varint(BigInt(b.length));
        for (const x of b) this.bytes.push(x);
        return;
      }
      case 'list':
        if (value.v.length < 15) this.bytes.push((value.v.length << 4) | TYPE[value.elem]);
        else {
          this.bytes.push(0xf0 | TYPE[value.elem]);
          this.varint(BigInt(value.v.length));
        }
        for (const e of value.v) this.value(e);
        return;
      case 'struct':
        return this.fields(value.v);
    }
  }
  fields(fields: Fields): void {
    let last = 0;
    for (const id of Object.keys(fields).map(Number).sort((a, b) => a - b)) {
      const f = fields[id];
      if (f === undefined) continue;
      const delta = id - last;
      if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | TYPE[f.t]);
      else {
        this.bytes.push(TYPE[f.t]);
        this.zigzag(id);
      }
      this.value(f);
      last = id;
    }
    this.bytes.push(0);
  }
}

export function thrift(fields: Fields): Uint8Array {
  const out = new Out();
  out.fields(fields);
  return new Uint8Array(out.bytes);
}

/** PLAIN BYTE_ARRAY values: each a 4-byte little-endian length and the bytes. */
export function plainStrings(values: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = values.map((v) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v)));
  const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return new Uint8Array(out);
}

export interface CraftOptions {
  /** The `text` column's values (one row each). */
  readonly values?: readonly (string | Uint8Array)[];
  /** Replaces the schema list (default: root + one required UTF8 `text` column). */
  readonly schema?: readonly Thrift[];
  /** Overrides fields of the column's ColumnMetaData (e.g. `{ 2: undefined }` drops encodings). */
  readonly columnMeta?: Fields;
  /** Overrides fields of the page header (2: uncompressed size, 3: compressed size). */
  readonly pageHeader?: Fields;
  /** Overrides fields of the data page header (1: num_values). */
  readonly dataPageHeader?: Fields;
  /** SNAPPY and ZSTD need `pageBytes` (there is no compressor for them here). */
  readonly codec?: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD';
  /** The page bytes as stored (default: the values, PLAIN, compressed by `codec`). */
  readonly pageBytes?: Uint8Array;
  /** The uncompressed size the page header claims (default: the true size). */
  readonly rows?: number;
}

const CODEC = { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2, ZSTD: 6 } as const;

/** A snappy stream claiming `claimed` bytes that expands to `size` bytes of "a" (a literal, then copies). */
export function snappyBomb(size: number, claimed = size): Uint8Array {
  const out: number[] = [];
  for (let n = claimed; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      out.push(n);
      break;
    }
    out.push((n & 0x7f) | 0x80);
  }
  out.push(0x00, 0x61); // literal of 1 byte: "a"
  // Copies of 64 bytes at offset 1 (2-byte-offset copy, tag 0b111111_10).
  for (let done = 1; done + 64 <= size; done += 64) out.push(0xfe, 0x01, 0x00);
  return new Uint8Array(out);
}

/** A zstd frame claiming `claimed` bytes made of RLE blocks (4 bytes per 128 KiB): `size` zero bytes. */
export function zstdBomb(size: number, claimed = size): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xe0; // 8-byte content size, single segment
  header.writeBigUInt64LE(BigInt(claimed), 5);
  const blocks: Buffer[] = [header];
  const BLOCK = 128 * 1024;
  for (let done = 0; done < size; done += BLOCK) {
    const n = Math.min(BLOCK, size - done);
    const last = done + n >= size ? 1 : 0;
    const b = Buffer.alloc(4);
    b.writeUIntLE(last | (1 << 1) | (n << 3), 0, 3); // RLE block of n bytes
    b[3] = 0;
    blocks.push(b);
  }
  return new Uint8Array(Buffer.concat(blocks));
}

/** A text-format parquet file (`{"text": …}` rows) with one row group, one column and one page. */
export function craftParquet(options: CraftOptions = {}): Uint8Array {
  const values = options.values ?? ['first row', 'second row'];
  const plain = plainStrings(values);
  const codec = options.codec ?? 'UNCOMPRESSED';
  if ((codec === 'SNAPPY' || codec === 'ZSTD') && !options.pageBytes) throw new Error(`craftParquet: ${codec} needs pageBytes`);
  const page = options.pageBytes ?? (codec === 'GZIP' ? new Uint8Array(gzipSync(plain)) : plain);
  const header = thrift({
    1: i32(0), // DATA_PAGE
    2: i32(plain.length),
    3: i32(page.length),
    5: struct({ 1: i32(values.length), 2: i32(0), 3: i32(3), 4: i32(3), ...options.dataPageHeader }),
    ...options.pageHeader,
  });
  const rows = options.rows ?? values.length;
  const schema = options.schema ?? [
    struct({ 4: bin('schema'), 5: i32(1) }),
    struct({ 1: i32(6), 3: i32(0), 4: bin('text'), 6: i32(0) }), // BYTE_ARRAY, REQUIRED, UTF8
  ];
  const columnMeta: Fields = {
    1: i32(6),
    2: list('i32', [i32(0)]),
    3: list('bin', [bin('text')]),
    4: i32(CODEC[codec]),
    5: i64(values.length),
    6: i64(header.length + plain.length),
    7: i64(header.length + page.length),
    9: i64(4),
    ...options.columnMeta,
  };
  const footer = thrift({
    1: i32(2),
    2: list('struct', schema),
    3: i64(rows),
    4: list('struct', [struct({ 1: list('struct', [struct({ 2: i64(4), 3: struct(columnMeta) })]), 2: i64(plain.length), 3: i64(rows) })]),
  });
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  return new Uint8Array(Buffer.concat([Buffer.from('PAR1'), header, page, footer, length, Buffer.from('PAR1')]));
}
