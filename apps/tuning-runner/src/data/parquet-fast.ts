/**
 * A fast path for the common tuning input: a parquet `messages: list<struct<role, content>>`
 * column of strings (the layout of dolly-15k-oai-style and of most chat datasets written by
 * pyarrow / HF datasets). Instead of assembling JS objects per row (hyparquet's generic reader
 * spends most of its time there and in GC), it decodes the two leaf columns page by page and
 * writes the JSONL bytes directly: UTF-8 strings are copied, JSON-escaped byte by byte.
 *
 * It reads each column chunk through a small window of the file, one page at a time, so memory
 * holds a page per column however large the row group is.
 *
 * Any row that is not plainly valid (a null, an unknown role, invalid UTF-8) is rebuilt as a JS
 * object and goes through `normaliseRow`, so errors and output are exactly those of the generic
 * path. A layout this path does not know (another schema, an encoding it does not decode) makes
 * `planFastParquet` return undefined and the caller uses the generic reader.
 */
import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import type { ColumnMetaData, CompressionCodec, FileMetaData, PageHeader, SchemaTree } from 'hyparquet';
import { parquetSchema } from 'hyparquet';
import { compressors as extraCompressors } from 'hyparquet-compressors';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import type { FileBuffer } from './file-buffer.js';
import { ROLES } from './normalise.js';

/** hyparquet-compressors, with node's native zlib for GZIP (several times faster than the JS inflate). */
export const COMPRESSORS = {
  ...extraCompressors,
  GZIP: (input: Uint8Array): Uint8Array => {
    const out = gunzipSync(input);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};

interface Leaf {
  readonly index: number; // column index in the row group
  readonly maxDef: number;
  readonly maxRep: number;
}

export interface FastPlan {
  readonly role: Leaf;
  readonly content: Leaf;
  /** Definition level at which `messages` is non-null, has an element, and the element is non-null. */
  readonly defMessages: number;
  readonly defList: number;
  readonly defElement: number;
}

function repetition(t: SchemaTree): string {
  return t.element.repetition_type ?? 'REQUIRED';
}

/** The leaf plan for `messages: list<struct<role: string, content: string>>`, or undefined. */
export function planFastParquet(metadata: FileMetaData): FastPlan | undefined {
  const schema = parquetSchema(metadata);
  const messages = schema.children.find((c) => c.element.name === 'messages');
  if (!messages || messages.children.length !== 1) return undefined;
  // 3-level list (messages → repeated list → element group) or legacy 2-level (messages → repeated group).
  const repeated = messages.children[0] as SchemaTree;
  if (repetition(repeated) !== 'REPEATED') return undefined;
  const element = repeated.children.length === 1 && repeated.children[0]?.children.length ? (repeated.children[0] as SchemaTree) : repeated;
  const roleNode = element.children.find((c) => c.element.name === 'role');
  const contentNode = element.children.find((c) => c.element.name === 'content');
  if (!roleNode || !contentNode) return undefined;
  for (const leaf of [roleNode, contentNode]) {
    if (leaf.children.length > 0 || leaf.element.type !== 'BYTE_ARRAY') return undefined;
    if (repetition(leaf) === 'REPEATED') return undefined;
  }
  const defOf = (chain: SchemaTree[]): number => chain.filter((n) => repetition(n) !== 'REQUIRED').length;
  const chain = [messages, repeated, ...(element === repeated ? [] : [element])];
  const defMessages = defOf([messages]);
  const defList = defOf([messages, repeated]);
  const defElement = defOf(chain);
  const leafOf = (node: SchemaTree): Leaf | undefined => {
    const path = [...chain, node].map((n) => n.element.name).join('.');
    const index = metadata.row_groups[0]?.columns.findIndex((c) => c.meta_data?.path_in_schema.join('.') === path) ?? -1;
    if (index < 0 && metadata.row_groups.length > 0) return undefined;
    return { index, maxDef: defOf([...chain, node]), maxRep: 1 };
  };
  const role = leafOf(roleNode);
  const content = leafOf(contentNode);
  if (!role || !content) return undefined;
  for (const group of metadata.row_groups) {
    for (const leaf of [role, content]) {
      const meta = group.columns[leaf.index]?.meta_data;
      if (!meta || !meta.encodings.every((e) => ['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE', 'BIT_PACKED'].includes(e))) return undefined;
    }
  }
  return { role, content, defMessages, defList, defElement };
}

export class UnsupportedParquet extends Error {}

const WINDOW = 1 << 20;

/** Reads one column chunk sequentially through a window of the file. */
class ChunkReader {
  private buf = new Uint8Array(0);
  private bufStart: number;
  private pos: number;

  constructor(
    private readonly file: FileBuffer,
    start: number,
    private readonly end: number,
  ) {
    this.bufStart = start;
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Makes `n` bytes from the current position available (or all that remain). */
  private async ensure(n: number): Promise<void> {
    const have = this.bufStart + this.buf.length - this.pos;
    if (have >= n) return;
    const want = Math.min(this.end - this.pos, Math.max(n, WINDOW));
    const next = new Uint8Array(await this.file.slice(this.pos, this.pos + want));
    this.buf = next;
    this.bufStart = this.pos;
  }

  async header(): Promise<PageHeader> {
    for (let size = 64 * 1024; ; size *= 4) {
      await this.ensure(size);
      const offset = this.pos - this.bufStart;
      const reader = { view: new DataView(this.buf.buffer, this.buf.byteOffset + offset, this.buf.length - offset), offset: 0 };
      try {
        const header = parquetHeader(reader);
        this.pos += reader.offset;
        return header;
      } catch (err) {
        // A header cut by the window end reads past the view; widen and retry.
        if (this.bufStart + this.buf.length >= this.end || size > 64 * 1024 * 1024) throw err;
      }
    }
  }

  async bytes(n: number): Promise<Uint8Array> {
    await this.ensure(n);
    const offset = this.pos - this.bufStart;
    if (offset + n > this.buf.length) throw new Error(`parquet page runs past its column chunk (${n} bytes at ${this.pos})`);
    this.pos += n;
    return this.buf.subarray(offset, offset + n);
  }
}

/** Decoded levels and value references of one data page. */
interface Page {
  readonly n: number;
  readonly rep: Uint8Array;
  readonly def: Uint8Array;
  /** Value i (the i-th non-null entry) is `bytes[starts[i] .. starts[i]+lens[i])`. */
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly lens: Int32Array;
}

interface Dictionary {
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly lens: Int32Array;
}

const bitWidth = (max: number): number => (max === 0 ? 0 : 32 - Math.clz32(max));

/** The deprecated BIT_PACKED level encoding (MSB first, no length prefix); returns bytes used. */
function readBitPackedLevels(bytes: Uint8Array, offset: number, width: number, out: Uint8Array): number {
  let bit = 0;
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (let b = 0; b < width; b++, bit++) {
      const byte = bytes[offset + (bit >> 3)] ?? 0;
      v = (v << 1) | ((byte >> (7 - (bit & 7))) & 1);
    }
    out[i] = v;
  }
  return Math.ceil((out.length * width) / 8);
}

function readLevels(encoding: string, reader: { view: DataView; offset: number }, bytes: Uint8Array, width: number, out: Uint8Array): void {
  if (encoding === 'RLE') readRleBitPackedHybrid(reader, width, out);
  else if (encoding === 'BIT_PACKED') reader.offset += readBitPackedLevels(bytes, reader.offset, width, out);
  else throw new UnsupportedParquet(`levels in ${encoding}`);
}

function plainByteArrays(bytes: Uint8Array, offset: number, count: number): { starts: Int32Array; lens: Int32Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts = new Int32Array(count);
  const lens = new Int32Array(count);
  let off = offset;
  for (let i = 0; i < count; i++) {
    const len = view.getUint32(off, true);
    starts[i] = off + 4;
    lens[i] = len;
    off += 4 + len;
    if (off > bytes.length) throw new Error('parquet PLAIN byte array runs past its page');
  }
  return { starts, lens };
}

/** Streams the data pages of one leaf column chunk, decoding levels and value references. */
class ColumnPages {
  private readonly reader: ChunkReader;
  private dictionary: Dictionary | undefined;
  private readonly codec: CompressionCodec;
  private valuesLeft: number;

  constructor(
    file: FileBuffer,
    meta: ColumnMetaData,
    private readonly leaf: Leaf,
  ) {
    const dict = meta.dictionary_page_offset !== undefined ? Number(meta.dictionary_page_offset) : undefined;
    const data = Number(meta.data_page_offset);
    const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
    this.reader = new ChunkReader(file, start, start + Number(meta.total_compressed_size));
    this.codec = meta.codec;
    this.valuesLeft = Number(meta.num_values);
  }

  /** Whether pages with values remain after the ones returned so far. */
  get more(): boolean {
    return this.valuesLeft > 0 && !this.reader.done;
  }

  async next(): Promise<Page | undefined> {
    while (this.valuesLeft > 0 && !this.reader.done) {
      const header = await this.reader.header();
      const body = await this.reader.bytes(header.compressed_page_size);
      if (header.type === 'DICTIONARY_PAGE') {
        const page = decompressPage(body, header.uncompressed_page_size, this.codec, COMPRESSORS);
        const count = header.dictionary_page_header?.num_values ?? 0;
        this.dictionary = { bytes: page, ...plainByteArrays(page, 0, count) };
      } else if (header.type === 'DATA_PAGE') {
        const dph = header.data_page_header;
        if (!dph) throw new UnsupportedParquet('data page without header');
        const page = decompressPage(body, header.uncompressed_page_size, this.codec, COMPRESSORS);
        const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
        const reader = { view, offset: 0 };
        const n = dph.num_values;
        const rep = new Uint8Array(n);
        const def = new Uint8Array(n);
        if (this.leaf.maxRep > 0) readLevels(dph.repetition_level_encoding, reader, page, bitWidth(this.leaf.maxRep), rep);
        if (this.leaf.maxDef > 0) readLevels(dph.definition_level_encoding, reader, page, bitWidth(this.leaf.maxDef), def);
        this.valuesLeft -= n;
        return this.values(n, rep, def, page, reader.offset, dph.encoding);
      } else if (header.type === 'DATA_PAGE_V2') {
        const h = header.data_page_header_v2;
        if (!h) throw new UnsupportedParquet('data page v2 without header');
        const n = h.num_values;
        const rep = new Uint8Array(n);
        const def = new Uint8Array(n);
        const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
        if (this.leaf.maxRep > 0) readRleBitPackedHybrid({ view, offset: 0 }, bitWidth(this.leaf.maxRep), rep, h.repetition_levels_byte_length);
        if (this.leaf.maxDef > 0) {
          readRleBitPackedHybrid({ view, offset: h.repetition_levels_byte_length }, bitWidth(this.leaf.maxDef), def, h.definition_levels_byte_length);
        }
        const levelBytes = h.repetition_levels_byte_length + h.definition_levels_byte_length;
        let values = body.subarray(levelBytes);
        if (h.is_compressed !== false) values = decompressPage(values, header.uncompressed_page_size - levelBytes, this.codec, COMPRESSORS);
        this.valuesLeft -= n;
        return this.values(n, rep, def, values, 0, h.encoding);
      }
      // index pages and the like carry no values
    }
    return undefined;
  }

  private values(n: number, rep: Uint8Array, def: Uint8Array, bytes: Uint8Array, offset: number, encoding: string): Page {
    let count = 0;
    const maxDef = this.leaf.maxDef;
    for (let i = 0; i < n; i++) if (def[i] === maxDef) count++;
    if (encoding === 'PLAIN') {
      const { starts, lens } = plainByteArrays(bytes, offset, count);
      return { n, rep, def, bytes, starts, lens };
    }
    if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
      const dict = this.dictionary;
      if (!dict) throw new UnsupportedParquet('dictionary-encoded page without a dictionary');
      const indices = new Int32Array(count);
      const width = bytes[offset] ?? 0;
      if (count > 0 && width > 0) {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        readRleBitPackedHybrid({ view, offset: offset + 1 }, width, indices, bytes.length - offset - 1);
      }
      const starts = new Int32Array(count);
      const lens = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const k = indices[i] as number;
        if (k >= dict.starts.length) throw new Error(`parquet dictionary index ${k} out of range`);
        starts[i] = dict.starts[k] as number;
        lens[i] = dict.lens[k] as number;
      }
      return { n, rep, def, bytes: dict.bytes, starts, lens };
    }
    throw new UnsupportedParquet(`value encoding ${encoding}`);
  }
}

/** A cursor over a column's level entries across pages; `i` is the entry, `v` the value index. */
class Cursor {
  page: Page | undefined;
  i = 0;
  v = 0;

  constructor(readonly pages: ColumnPages) {}

  /** True when the current entry is loaded (no await needed). */
  get available(): boolean {
    return this.page !== undefined && this.i < this.page.n;
  }

  /** Loads the next page when the current one is used up; false at the end of the chunk. */
  async ready(): Promise<boolean> {
    while (!this.page || this.i >= this.page.n) {
      this.page = await this.pages.next();
      this.i = 0;
      this.v = 0;
      if (!this.page) return false;
    }
    return true;
  }
}

const ROLE_BYTES = ROLES.map((r) => Buffer.from(r));

function isRole(buf: Uint8Array, start: number, len: number): boolean {
  outer: for (const r of ROLE_BYTES) {
    if (r.length !== len) continue;
    for (let i = 0; i < len; i++) if (buf[start + i] !== r[i]) continue outer;
    return true;
  }
  return false;
}

const HEX = Buffer.from('0123456789abcdef');
/** 1 for the bytes JSON strings must escape: control characters, quote, backslash. */
const NEEDS_ESCAPE = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) NEEDS_ESCAPE[b] = 1;
NEEDS_ESCAPE[0x22] = 1;
NEEDS_ESCAPE[0x5c] = 1;
const ROW_OPEN = Buffer.from('{"messages":[');
const FIRST_ROLE = Buffer.from('{"role":"');
const NEXT_ROLE = Buffer.from(',{"role":"');
const CONTENT = Buffer.from('","content":"');
const MESSAGE_CLOSE = Buffer.from('"}');
const ROW_CLOSE = Buffer.from(']}\n');

/** Output buffer that the caller drains. */
export class JsonlBuffer {
  buf: Buffer;
  pos = 0;
  constructor(size = 4 << 20) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  text(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Raw bytes; the caller ensured room. */
  raw(src: Uint8Array): void {
    const out = this.buf;
    let pos = this.pos;
    for (let i = 0; i < src.length; i++) out[pos++] = src[i] as number;
    this.pos = pos;
  }

  /** UTF-8 bytes as a JSON string body, escaped exactly as JSON.stringify does for valid UTF-8; the caller ensured room (6× len). */
  escaped(src: Uint8Array, start: number, len: number): void {
    const out = this.buf;
    let pos = this.pos;
    const end = start + len;
    let run = start;
    for (let i = start; i < end; i++) {
      const b = src[i] as number;
      if (NEEDS_ESCAPE[b] === 0) continue;
      if (i > run) {
        out.set(src.subarray(run, i), pos);
        pos += i - run;
      }
      run = i + 1;
      out[pos++] = 0x5c;
      if (b === 0x22 || b === 0x5c) out[pos++] = b;
      else if (b === 0x0a) out[pos++] = 0x6e;
      else if (b === 0x0d) out[pos++] = 0x72;
      else if (b === 0x09) out[pos++] = 0x74;
      else if (b === 0x08) out[pos++] = 0x62;
      else if (b === 0x0c) out[pos++] = 0x66;
      else {
        out[pos++] = 0x75;
        out[pos++] = 0x30;
        out[pos++] = 0x30;
        out[pos++] = HEX[b >> 4] as number;
        out[pos++] = HEX[b & 15] as number;
      }
    }
    if (end > run) {
      out.set(src.subarray(run, end), pos);
      pos += end - run;
    }
    this.pos = pos;
  }
}

const decoder = new TextDecoder();

export interface FastRowSink {
  /** Rows that passed the byte-level checks are written to `out` as JSONL lines. */
  readonly out: JsonlBuffer;
  /** A row needing the generic checks: throws a RowProblem or writes the normalised line itself. */
  slow(row: Record<string, unknown>, rowNumber: number): void;
  /** Called between rows so the caller can drain `out` with backpressure. */
  flush(): Promise<void>;
}

/** Per-row scratch: the entries of one row, gathered across page boundaries when needed. */
interface Gathered {
  def: number[];
  roleDef: number[];
  role: (Uint8Array | undefined)[];
  content: (Uint8Array | undefined)[];
}

/**
 * The row as hyparquet would assemble it (a null list or element is `undefined` there, a null
 * leaf `null`), so the generic checks give the very same messages.
 */
function rowObject(plan: FastPlan, g: Gathered): Record<string, unknown> {
  const first = g.def[0] as number;
  if (first < plan.defMessages) return { messages: undefined };
  if (first < plan.defList) return { messages: [] };
  return {
    messages: g.def.map((d, i) => {
      if (d < plan.defElement) return undefined;
      const role = g.role[i];
      const content = g.content[i];
      return { role: role ? decoder.decode(role) : null, content: content ? decoder.decode(content) : null };
    }),
  };
}

/** Writes one gathered row: byte-level when plainly valid, else through `sink.slow`. */
function emitGathered(plan: FastPlan, g: Gathered, sink: FastRowSink, rowNumber: number): void {
  const n = g.def.length;
  let fast = (g.def[0] as number) >= plan.defElement;
  for (let k = 0; fast && k < n; k++) {
    const role = g.role[k];
    fast = role !== undefined && g.content[k] !== undefined && isRole(role, 0, role.length);
  }
  const out = sink.out;
  if (fast) {
    let need = 16;
    for (let k = 0; k < n; k++) need += 32 + (g.role[k] as Uint8Array).length * 6 + (g.content[k] as Uint8Array).length * 6;
    out.ensure(need);
    const mark = out.pos;
    out.raw(ROW_OPEN);
    for (let k = 0; k < n; k++) {
      const role = g.role[k] as Uint8Array;
      const content = g.content[k] as Uint8Array;
      out.raw(k === 0 ? FIRST_ROLE : NEXT_ROLE);
      out.escaped(role, 0, role.length);
      out.raw(CONTENT);
      out.escaped(content, 0, content.length);
      out.raw(MESSAGE_CLOSE);
    }
    out.raw(ROW_CLOSE);
    if (isUtf8(out.buf.subarray(mark, out.pos))) return;
    out.pos = mark;
  }
  sink.slow(rowObject(plan, g), rowNumber);
}

/**
 * The hot loop, kept out of the async function so V8 optimises it on its own: converts the rows
 * that lie wholly inside both cursors' current pages and returns the next row index.
 */
function syncRun(plan: FastPlan, cc: Cursor, rc: Cursor, start: number, rows: number, firstRow: number, sink: FastRowSink, g: Gathered): number {
  const out = sink.out;
  const maxC = plan.content.maxDef;
  const maxR = plan.role.maxDef;
  const defElement = plan.defElement;
  const cp = cc.page as Page;
  const rp = rc.page as Page;
  const cRep = cp.rep;
  const cDef = cp.def;
  const rDef = rp.def;
  const more = cc.pages.more;
  let ci = cc.i;
  let cv = cc.v;
  let ri = rc.i;
  let rv = rc.v;
  let row = start;
  while (row < rows) {
    let j = ci + 1;
    while (j < cp.n && cRep[j] !== 0) j++;
    const len = j - ci;
    if ((j === cp.n && more) || ri + len > rp.n) break; // the row may continue on the next page
    let fast = (cDef[ci] as number) >= defElement;
    let need = 16;
    for (let k = 0; fast && k < len; k++) {
      if (cDef[ci + k] !== maxC || rDef[ri + k] !== maxR) fast = false;
      else {
        const rs = rp.starts[rv + k] as number;
        const rl = rp.lens[rv + k] as number;
        if (!isRole(rp.bytes, rs, rl)) fast = false;
        need += 32 + rl + (cp.lens[cv + k] as number) * 6;
      }
    }
    if (fast) {
      out.ensure(need);
      const mark = out.pos;
      out.raw(ROW_OPEN);
      for (let k = 0; k < len; k++) {
        out.raw(k === 0 ? FIRST_ROLE : NEXT_ROLE);
        out.escaped(rp.bytes, rp.starts[rv + k] as number, rp.lens[rv + k] as number);
        out.raw(CONTENT);
        out.escaped(cp.bytes, cp.starts[cv + k] as number, cp.lens[cv + k] as number);
        out.raw(MESSAGE_CLOSE);
      }
      out.raw(ROW_CLOSE);
      if (!isUtf8(out.buf.subarray(mark, out.pos))) {
        out.pos = mark;
        fast = false;
      } else {
        ci += len;
        ri += len;
        cv += len;
        rv += len;
      }
    }
    if (!fast) {
      g.def.length = g.roleDef.length = g.role.length = g.content.length = 0;
      for (let k = 0; k < len; k++) {
        const cd = cDef[ci + k] as number;
        const rd = rDef[ri + k] as number;
        g.def.push(cd);
        g.roleDef.push(rd);
        g.content.push(cd === maxC ? cp.bytes.subarray(cp.starts[cv] as number, (cp.starts[cv] as number) + (cp.lens[cv] as number)) : undefined);
        g.role.push(rd === maxR ? rp.bytes.subarray(rp.starts[rv] as number, (rp.starts[rv] as number) + (rp.lens[rv] as number)) : undefined);
        if (cd === maxC) cv++;
        if (rd === maxR) rv++;
      }
      ci += len;
      ri += len;
      sink.slow(rowObject(plan, g), firstRow + row);
    }
    row++;
    if (ci >= cp.n || ri >= rp.n) break;
  }
  cc.i = ci;
  cc.v = cv;
  rc.i = ri;
  rc.v = rv;
  return row;
}

/** Converts one row group; returns the number of rows. `firstRow` is the 1-based number of its first row. */
export async function convertRowGroupFast(file: FileBuffer, metadata: FileMetaData, group: number, plan: FastPlan, firstRow: number, sink: FastRowSink): Promise<number> {
  const rg = metadata.row_groups[group];
  if (!rg) return 0;
  const roleMeta = rg.columns[plan.role.index]?.meta_data;
  const contentMeta = rg.columns[plan.content.index]?.meta_data;
  if (!roleMeta || !contentMeta) throw new UnsupportedParquet('column metadata missing');
  const rc = new Cursor(new ColumnPages(file, roleMeta, plan.role));
  const cc = new Cursor(new ColumnPages(file, contentMeta, plan.content));
  const rows = Number(rg.num_rows);
  const out = sink.out;
  const maxC = plan.content.maxDef;
  const maxR = plan.role.maxDef;
  const g: Gathered = { def: [], roleDef: [], role: [], content: [] };
  let row = 0;

  while (row < rows) {
    if (!((cc.available || (await cc.ready())) && (rc.available || (await rc.ready())))) {
      throw new Error(`parquet row group ${group} ended after ${row} of ${rows} rows`);
    }
    // Synchronous run over rows that lie wholly inside both current pages: the hot loop.
    const runStart = row;
    row = syncRun(plan, cc, rc, row, rows, firstRow, sink, g);
    if (row > runStart) {
      if (out.pos >= 1 << 20) await sink.flush();
      continue;
    }
    // A row crossing a page boundary: gather it entry by entry, loading pages as needed.
    g.def.length = g.roleDef.length = g.role.length = g.content.length = 0;
    for (;;) {
      const more = (cc.available || (await cc.ready())) && (rc.available || (await rc.ready()));
      if (!more || (g.def.length > 0 && (cc.page as Page).rep[cc.i] === 0)) break;
      const c = cc.page as Page;
      const r = rc.page as Page;
      const cd = c.def[cc.i] as number;
      const rd = r.def[rc.i] as number;
      g.def.push(cd);
      g.roleDef.push(rd);
      g.content.push(cd === maxC ? c.bytes.subarray(c.starts[cc.v] as number, (c.starts[cc.v] as number) + (c.lens[cc.v] as number)) : undefined);
      g.role.push(rd === maxR ? r.bytes.subarray(r.starts[rc.v] as number, (r.starts[rc.v] as number) + (r.lens[rc.v] as number)) : undefined);
      if (cd === maxC) cc.v++;
      if (rd === maxR) rc.v++;
      cc.i++;
      rc.i++;
    }
    emitGathered(plan, g, sink, firstRow + row);
    row++;
  }
  return rows;
}
