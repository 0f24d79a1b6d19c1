/**
 * A fast path for the common tuning input: a parquet `messages: list<struct<role, content>>`
 * column of strings (the layout of dolly-15k-oai-style and of most chat datasets written by
 * pyarrow / HF datasets). Instead of assembling JS objects per row (hyparquet's generic reader
 * spends most of its time there and in GC), it decodes the two leaf columns page by page and
 * writes the JSONL bytes directly.
 *
 * The bytes never leave the wasm kernel's memory (`kernel.ts`): each column chunk is read
 * through a window of the file there, a page at a time, decompressed there (snappy by the
 * kernel, other codecs by hyparquet-compressors / zlib, copied in), and the kernel writes each
 * message (the role's constant prefix, the content JSON-escaped 16 bytes per step, `"}`) into the
 * JSONL buffer, also there. JS only walks the levels and decides, row by row, what to write. The
 * memory holds a page per column and the output buffer, however large the file or row group.
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
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import type { FileBuffer } from './file-buffer.js';
import { Kernel, Region } from './kernel.js';
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
/** The JSONL buffer is handed to the writer once it holds this much. */
export const FLUSH_BYTES = 1 << 20;

/**
 * The JSONL output buffer, in kernel memory. Writers `ensure` room, then write at `pos`; the
 * owner writes `[start, pos)` to the file and `clear`s it. It grows only for a row larger than it.
 */
export class JsonlOut {
  private region: number;
  private cap: number;
  /** Where the next byte goes (an offset in kernel memory). */
  pos: number;

  constructor(
    readonly kernel: Kernel,
    cap = FLUSH_BYTES * 2,
  ) {
    this.cap = cap;
    this.region = kernel.alloc(cap);
    this.pos = this.region;
  }

  get start(): number {
    return this.region;
  }

  /** Bytes buffered. */
  get used(): number {
    return this.pos - this.region;
  }

  /** Room for `extra` more bytes (kernel writes may also use the region's slack). */
  ensure(extra: number): void {
    if (this.pos + extra <= this.region + this.cap) return;
    const used = this.used;
    const cap = Math.max(this.cap * 2, used + extra);
    const region = this.kernel.alloc(cap);
    this.kernel.u8.copyWithin(region, this.region, this.pos);
    this.region = region;
    this.cap = cap;
    this.pos = region + used;
  }

  text(s: string): void {
    this.ensure(s.length < 1 << 16 ? s.length * 3 : Buffer.byteLength(s));
    this.pos += this.kernel.buf.write(s, this.pos, 'utf8');
  }

  /** Empties the buffer (its bytes were written). */
  clear(): void {
    this.pos = this.region;
  }
}

/** Reads one column chunk sequentially through a window of kernel memory. */
class ChunkReader {
  /** File offset of the window's first byte, and how many bytes it holds. */
  private winStart: number;
  private winLen = 0;
  private pos: number;

  constructor(
    private readonly file: FileBuffer,
    private readonly kernel: Kernel,
    private readonly window: Region,
    start: number,
    private readonly end: number,
  ) {
    this.winStart = start;
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Makes `n` bytes from the current position available (or all that remain). */
  private async ensure(n: number): Promise<void> {
    if (this.winStart + this.winLen - this.pos >= n) return;
    const want = Math.min(this.end - this.pos, Math.max(n, WINDOW));
    const off = this.window.fit(want);
    this.winStart = this.pos;
    this.winLen = 0;
    await this.file.readInto(this.kernel.u8, off, want, this.pos);
    this.winLen = want;
  }

  async header(): Promise<PageHeader> {
    for (let size = 64 * 1024; ; size *= 4) {
      await this.ensure(size);
      const offset = this.pos - this.winStart;
      const view = new DataView(this.kernel.u8.buffer, this.window.off + offset, this.winLen - offset);
      const reader = { view, offset: 0 };
      try {
        const header = parquetHeader(reader);
        this.pos += reader.offset;
        return header;
      } catch (err) {
        // A header cut by the window end reads past the view; widen and retry.
        if (this.winStart + this.winLen >= this.end || size > 64 * 1024 * 1024) throw err;
      }
    }
  }

  /** `n` bytes: their offset in kernel memory, valid until the next call. */
  async bytes(n: number): Promise<number> {
    if (!(n >= 0)) throw new Error(`parquet page size ${n} is invalid`);
    await this.ensure(n);
    const offset = this.pos - this.winStart;
    if (offset + n > this.winLen) throw new Error(`parquet page runs past its column chunk (${n} bytes at ${this.pos})`);
    this.pos += n;
    return this.window.off + offset;
  }
}

/**
 * Decoded levels and value references of one data page. Its arrays are the column's and are
 * reused by the next page: use a page before loading the next (copy what must outlive it).
 */
class Page {
  /** Values `[0, decoded)` have `starts`/`lens` (and `roles`). */
  decoded = 0;

  /**
   * @param at for a PLAIN page, where the next undecoded value is (-1 when all are decoded).
   *   PLAIN values are found by following their length prefixes, one cache miss each when the
   *   page is not in cache; so they are decoded just before their row is written, right after
   *   the kernel has read the value before them.
   */
  constructor(
    readonly n: number,
    readonly rep: Uint8Array,
    readonly def: Uint8Array,
    readonly count: number,
    /** Value i (the i-th non-null entry) is kernel memory `[starts[i], starts[i]+lens[i])`. */
    readonly starts: Int32Array,
    readonly lens: Int32Array,
    /** Role column: the index in ROLES of value i, or -1 when it is not a role. */
    readonly roles: Int8Array,
    private readonly kernel: Kernel,
    private readonly isRole: boolean,
    private at: number,
    private readonly end: number,
  ) {
    if (at < 0) this.decoded = count;
  }

  /** Decodes the PLAIN values up to (not including) `upTo`. */
  decode(upTo: number): void {
    if (upTo > this.count) upTo = this.count;
    if (upTo <= this.decoded) return;
    const u8 = this.kernel.u8;
    const { starts, lens, roles, end } = this;
    let at = this.at;
    for (let i = this.decoded; i < upTo; i++) {
      if (at + 4 > end) throw new Error('parquet PLAIN byte array runs past its page');
      const len = ((u8[at] as number) | ((u8[at + 1] as number) << 8) | ((u8[at + 2] as number) << 16) | ((u8[at + 3] as number) << 24)) >>> 0;
      at += 4;
      if (len > end - at) throw new Error('parquet PLAIN byte array runs past its page');
      starts[i] = at;
      lens[i] = len;
      if (this.isRole) roles[i] = roleOf(u8, at, len);
      at += len;
    }
    this.at = at;
    this.decoded = upTo;
  }
}

const bitWidth = (max: number): number => (max === 0 ? 0 : 32 - Math.clz32(max));

/** The deprecated BIT_PACKED level encoding (MSB first, no length prefix); returns bytes used. */
function readBitPackedLevels(view: DataView, offset: number, width: number, out: Uint8Array): number {
  let bit = 0;
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (let b = 0; b < width; b++, bit++) {
      const at = offset + (bit >> 3);
      const byte = at < view.byteLength ? view.getUint8(at) : 0;
      v = (v << 1) | ((byte >> (7 - (bit & 7))) & 1);
    }
    out[i] = v;
  }
  return Math.ceil((out.length * width) / 8);
}

function readLevels(encoding: string, reader: { view: DataView; offset: number }, width: number, out: Uint8Array): void {
  if (encoding === 'RLE') readRleBitPackedHybrid(reader, width, out);
  else if (encoding === 'BIT_PACKED') reader.offset += readBitPackedLevels(reader.view, reader.offset, width, out);
  else throw new UnsupportedParquet(`levels in ${encoding}`);
}

/** PLAIN byte arrays of `[off, off+size)` in kernel memory into starts/lens (absolute offsets). */
function plainByteArrays(kernel: Kernel, off: number, size: number, count: number, starts: Int32Array, lens: Int32Array): void {
  const view = new DataView(kernel.u8.buffer, off, size);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > size) throw new Error('parquet PLAIN byte array runs past its page');
    const len = view.getUint32(at, true);
    starts[i] = off + at + 4;
    lens[i] = len;
    at += 4 + len;
    if (at > size) throw new Error('parquet PLAIN byte array runs past its page');
  }
}

const ROLE_BYTES = ROLES.map((r) => Buffer.from(r));

/** The index in ROLES of the bytes at `[start, start+len)`, or -1. */
function roleOf(u8: Uint8Array, start: number, len: number): number {
  outer: for (let r = 0; r < ROLE_BYTES.length; r++) {
    const bytes = ROLE_BYTES[r] as Buffer;
    if (bytes.length !== len) continue;
    for (let i = 0; i < len; i++) if (u8[start + i] !== bytes[i]) continue outer;
    return r;
  }
  return -1;
}

const grow32 = (a: Int32Array, n: number): Int32Array => (a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2)));

/** A leaf column's reusable memory: kernel regions and level/value arrays, kept across row groups. */
class ColumnState {
  readonly window: Region;
  readonly page: Region;
  readonly dict: Region;
  rep: Uint8Array = new Uint8Array(0);
  def: Uint8Array = new Uint8Array(0);
  starts: Int32Array = new Int32Array(0);
  lens: Int32Array = new Int32Array(0);
  roles: Int8Array = new Int8Array(0);
  indices: Int32Array = new Int32Array(0);
  dictStarts: Int32Array = new Int32Array(0);
  dictLens: Int32Array = new Int32Array(0);
  dictRoles: Int8Array = new Int8Array(0);
  dictCount = -1;

  constructor(
    readonly kernel: Kernel,
    readonly isRole: boolean,
  ) {
    this.window = new Region(kernel);
    this.page = new Region(kernel);
    this.dict = new Region(kernel);
  }

  levels(n: number): void {
    if (this.rep.length < n) {
      this.rep = new Uint8Array(Math.max(n, this.rep.length * 2));
      this.def = new Uint8Array(this.rep.length);
    }
  }

  values(count: number): void {
    this.starts = grow32(this.starts, count);
    this.lens = grow32(this.lens, count);
    if (this.isRole && this.roles.length < count) this.roles = new Int8Array(this.starts.length);
  }
}

/** Streams the data pages of one leaf column chunk, decoding levels and value references. */
class ColumnPages {
  private readonly reader: ChunkReader;
  private readonly codec: CompressionCodec;
  private valuesLeft: number;

  constructor(
    file: FileBuffer,
    meta: ColumnMetaData,
    private readonly leaf: Leaf,
    private readonly state: ColumnState,
  ) {
    const dict = meta.dictionary_page_offset !== undefined ? Number(meta.dictionary_page_offset) : undefined;
    const data = Number(meta.data_page_offset);
    const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
    this.reader = new ChunkReader(file, state.kernel, state.window, start, start + Number(meta.total_compressed_size));
    this.codec = meta.codec;
    this.valuesLeft = Number(meta.num_values);
    state.dictCount = -1;
  }

  /** Whether pages with values remain after the ones returned so far. */
  get more(): boolean {
    return this.valuesLeft > 0 && !this.reader.done;
  }

  /** Decompresses `srcLen` bytes at `src` into exactly `size` bytes at `dst` (kernel memory). */
  private decompress(src: number, srcLen: number, dst: number, size: number): void {
    const kernel = this.state.kernel;
    if (this.codec === 'SNAPPY') {
      kernel.snappy(src, srcLen, dst, size);
      return;
    }
    let page: Uint8Array;
    if (this.codec === 'UNCOMPRESSED') {
      page = kernel.u8.subarray(src, src + srcLen);
    } else {
      const decompress = (COMPRESSORS as Partial<Record<CompressionCodec, (input: Uint8Array, size: number) => Uint8Array>>)[this.codec];
      if (!decompress) throw new Error(`parquet unsupported compression codec: ${this.codec}`);
      page = decompress(kernel.u8.subarray(src, src + srcLen), size);
    }
    if (page.length !== size) throw new Error(`parquet decompressed page length ${page.length} does not match header ${size}`);
    kernel.u8.set(page, dst);
  }

  async next(): Promise<Page | undefined> {
    const state = this.state;
    const kernel = state.kernel;
    while (this.valuesLeft > 0 && !this.reader.done) {
      const header = await this.reader.header();
      const body = await this.reader.bytes(header.compressed_page_size);
      const size = header.uncompressed_page_size;
      if (header.type === 'DICTIONARY_PAGE') {
        const count = header.dictionary_page_header?.num_values ?? 0;
        const dst = state.dict.fit(size);
        this.decompress(body, header.compressed_page_size, dst, size);
        state.dictStarts = grow32(state.dictStarts, count);
        state.dictLens = grow32(state.dictLens, count);
        plainByteArrays(kernel, dst, size, count, state.dictStarts, state.dictLens);
        if (state.isRole) {
          if (state.dictRoles.length < count) state.dictRoles = new Int8Array(state.dictStarts.length);
          for (let i = 0; i < count; i++) state.dictRoles[i] = roleOf(kernel.u8, state.dictStarts[i] as number, state.dictLens[i] as number);
        }
        state.dictCount = count;
      } else if (header.type === 'DATA_PAGE') {
        const dph = header.data_page_header;
        if (!dph) throw new UnsupportedParquet('data page without header');
        const dst = state.page.fit(size);
        this.decompress(body, header.compressed_page_size, dst, size);
        const n = dph.num_values;
        state.levels(n);
        const rep = state.rep.subarray(0, n);
        const def = state.def.subarray(0, n);
        const reader = { view: new DataView(kernel.u8.buffer, dst, size), offset: 0 };
        if (this.leaf.maxRep > 0) readLevels(dph.repetition_level_encoding, reader, bitWidth(this.leaf.maxRep), rep);
        if (this.leaf.maxDef > 0) readLevels(dph.definition_level_encoding, reader, bitWidth(this.leaf.maxDef), def);
        this.valuesLeft -= n;
        return this.values(n, rep, def, dst + reader.offset, size - reader.offset, dph.encoding);
      } else if (header.type === 'DATA_PAGE_V2') {
        const h = header.data_page_header_v2;
        if (!h) throw new UnsupportedParquet('data page v2 without header');
        const n = h.num_values;
        state.levels(n);
        const rep = state.rep.subarray(0, n);
        const def = state.def.subarray(0, n);
        const levelBytes = h.repetition_levels_byte_length + h.definition_levels_byte_length;
        if (levelBytes > header.compressed_page_size) throw new Error('parquet page levels run past the page');
        const view = new DataView(kernel.u8.buffer, body, levelBytes);
        if (this.leaf.maxRep > 0) readRleBitPackedHybrid({ view, offset: 0 }, bitWidth(this.leaf.maxRep), rep, h.repetition_levels_byte_length);
        if (this.leaf.maxDef > 0) {
          readRleBitPackedHybrid({ view, offset: h.repetition_levels_byte_length }, bitWidth(this.leaf.maxDef), def, h.definition_levels_byte_length);
        }
        const valuesSize = size - levelBytes;
        const dst = state.page.fit(Math.max(valuesSize, 0));
        const src = body + levelBytes;
        const srcLen = header.compressed_page_size - levelBytes;
        if (h.is_compressed === false) {
          if (srcLen !== valuesSize) throw new Error(`parquet decompressed page length ${srcLen} does not match header ${valuesSize}`);
          kernel.u8.copyWithin(dst, src, src + srcLen);
        } else {
          this.decompress(src, srcLen, dst, valuesSize);
        }
        this.valuesLeft -= n;
        return this.values(n, rep, def, dst, valuesSize, h.encoding);
      }
      // index pages and the like carry no values
    }
    return undefined;
  }

  /** Value references of a page whose value bytes are `[off, off+size)` in kernel memory. */
  private values(n: number, rep: Uint8Array, def: Uint8Array, off: number, size: number, encoding: string): Page {
    const state = this.state;
    const kernel = state.kernel;
    let count = 0;
    const maxDef = this.leaf.maxDef;
    for (let i = 0; i < n; i++) if (def[i] === maxDef) count++;
    state.values(count);
    const { starts, lens, roles } = state;
    if (encoding === 'PLAIN') {
      return new Page(n, rep, def, count, starts, lens, roles, kernel, state.isRole, off, off + size);
    } else if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
      const dictCount = state.dictCount;
      if (dictCount < 0) throw new UnsupportedParquet('dictionary-encoded page without a dictionary');
      state.indices = grow32(state.indices, count);
      const indices = state.indices.subarray(0, count);
      const width = size > 0 ? (kernel.u8[off] as number) : 0;
      if (count > 0 && width > 0) {
        readRleBitPackedHybrid({ view: new DataView(kernel.u8.buffer, off, size), offset: 1 }, width, indices, size - 1);
      } else {
        indices.fill(0);
      }
      const { dictStarts, dictLens, dictRoles } = state;
      for (let i = 0; i < count; i++) {
        const k = indices[i] as number;
        if (k >= dictCount || k < 0) throw new Error(`parquet dictionary index ${k} out of range`);
        starts[i] = dictStarts[k] as number;
        lens[i] = dictLens[k] as number;
        if (state.isRole) roles[i] = dictRoles[k] as number;
      }
    } else {
      throw new UnsupportedParquet(`value encoding ${encoding}`);
    }
    return new Page(n, rep, def, count, starts, lens, roles, kernel, state.isRole, -1, 0);
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

export interface FastRowSink {
  /** Rows that passed the byte-level checks are written to `out` as JSONL lines. */
  readonly out: JsonlOut;
  /** A row needing the generic checks: throws a RowProblem or writes the normalised line itself. */
  slow(row: Record<string, unknown>, rowNumber: number): void;
  /** Called between rows so the caller can drain `out` with backpressure. */
  flush(): Promise<void>;
}

/** Per-row scratch: the entries of one row, gathered across page boundaries when needed. */
interface Gathered {
  def: number[];
  role: (Uint8Array | undefined)[];
  content: (Uint8Array | undefined)[];
}

const decoder = new TextDecoder();

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

const ROW_CLOSE = Buffer.from(']}\n');

/**
 * The message openings in kernel memory, for role r: `FIRST + r` opens the row
 * (`{"messages":[{"role":"user","content":"`), `NEXT + r` a later message (`,{"role":…`).
 */
class Prefixes {
  readonly off: Int32Array;
  readonly len: Int32Array;
  static readonly NEXT = ROLES.length;

  constructor(kernel: Kernel) {
    const all = [...ROLES.map((r) => `{"messages":[{"role":"${r}","content":"`), ...ROLES.map((r) => `,{"role":"${r}","content":"`)];
    this.off = new Int32Array(all.length);
    this.len = new Int32Array(all.length);
    all.forEach((text, i) => {
      const bytes = Buffer.from(text);
      const off = kernel.alloc(bytes.length);
      kernel.u8.set(bytes, off);
      this.off[i] = off;
      this.len[i] = bytes.length;
    });
  }
}

/**
 * Writes one plainly valid row of `n` messages: roles `roles[r0..]`, contents `starts/lens[c0..]`
 * (kernel memory). Returns false, with nothing written, when the bytes are not valid UTF-8.
 */
function writeRow(out: JsonlOut, p: Prefixes, roles: Int8Array, r0: number, starts: Int32Array, lens: Int32Array, c0: number, n: number): boolean {
  let need = 8;
  for (let k = 0; k < n; k++) need += 64 + 6 * (lens[c0 + k] as number);
  out.ensure(need);
  const kernel = out.kernel;
  const mark = out.pos;
  let pos = mark;
  for (let k = 0; k < n; k++) {
    const prefix = (roles[r0 + k] as number) + (k === 0 ? 0 : Prefixes.NEXT);
    pos = kernel.message(p.off[prefix] as number, p.len[prefix] as number, starts[c0 + k] as number, lens[c0 + k] as number, pos);
  }
  const u8 = kernel.u8;
  u8[pos] = ROW_CLOSE[0] as number;
  u8[pos + 1] = ROW_CLOSE[1] as number;
  u8[pos + 2] = ROW_CLOSE[2] as number;
  pos += 3;
  if (kernel.takeHigh() && !isUtf8(u8.subarray(mark, pos))) return false;
  out.pos = pos;
  return true;
}

/** Converts the row groups of one file through the kernel; reuses its memory from group to group. */
export class FastParquet {
  private readonly role: ColumnState;
  private readonly content: ColumnState;
  private readonly prefixes: Prefixes;
  private readonly g: Gathered = { def: [], role: [], content: [] };

  constructor(private readonly kernel: Kernel) {
    this.role = new ColumnState(kernel, true);
    this.content = new ColumnState(kernel, false);
    this.prefixes = new Prefixes(kernel);
  }

  /** Converts one row group; returns the number of rows. `firstRow` is the 1-based number of its first row. */
  async convertRowGroup(file: FileBuffer, metadata: FileMetaData, group: number, plan: FastPlan, firstRow: number, sink: FastRowSink): Promise<number> {
    if (sink.out.kernel !== this.kernel) throw new Error('the sink writes to another kernel');
    const rg = metadata.row_groups[group];
    if (!rg) return 0;
    const roleMeta = rg.columns[plan.role.index]?.meta_data;
    const contentMeta = rg.columns[plan.content.index]?.meta_data;
    if (!roleMeta || !contentMeta) throw new UnsupportedParquet('column metadata missing');
    const rc = new Cursor(new ColumnPages(file, roleMeta, plan.role, this.role));
    const cc = new Cursor(new ColumnPages(file, contentMeta, plan.content, this.content));
    const rows = Number(rg.num_rows);
    const maxC = plan.content.maxDef;
    const maxR = plan.role.maxDef;
    const g = this.g;
    let row = 0;

    while (row < rows) {
      if (!((cc.available || (await cc.ready())) && (rc.available || (await rc.ready())))) {
        throw new Error(`parquet row group ${group} ended after ${row} of ${rows} rows`);
      }
      // Synchronous run over rows that lie wholly inside both current pages: the hot loop.
      const runStart = row;
      row = this.syncRun(plan, cc, rc, row, rows, firstRow, sink);
      if (row > runStart) {
        if (sink.out.used >= FLUSH_BYTES) await sink.flush();
        continue;
      }
      // A row crossing a page boundary: gather (copy) it entry by entry, loading pages as needed.
      g.def.length = g.role.length = g.content.length = 0;
      for (;;) {
        const more = (cc.available || (await cc.ready())) && (rc.available || (await rc.ready()));
        if (!more || (g.def.length > 0 && (cc.page as Page).rep[cc.i] === 0)) break;
        const c = cc.page as Page;
        const r = rc.page as Page;
        const cd = c.def[cc.i] as number;
        const rd = r.def[rc.i] as number;
        c.decode(cc.v + 1);
        r.decode(rc.v + 1);
        const u8 = this.kernel.u8;
        g.def.push(cd);
        g.content.push(cd === maxC ? u8.slice(c.starts[cc.v] as number, (c.starts[cc.v] as number) + (c.lens[cc.v] as number)) : undefined);
        g.role.push(rd === maxR ? u8.slice(r.starts[rc.v] as number, (r.starts[rc.v] as number) + (r.lens[rc.v] as number)) : undefined);
        if (cd === maxC) cc.v++;
        if (rd === maxR) rc.v++;
        cc.i++;
        rc.i++;
      }
      this.emitGathered(plan, sink, firstRow + row);
      row++;
    }
    return rows;
  }

  /** Writes the gathered row: through the kernel when plainly valid, else through `sink.slow`. */
  private emitGathered(plan: FastPlan, sink: FastRowSink, rowNumber: number): void {
    const g = this.g;
    const n = g.def.length;
    let fast = (g.def[0] as number) >= plan.defElement;
    const roles = new Int8Array(n);
    for (let k = 0; fast && k < n; k++) {
      const role = g.role[k];
      roles[k] = role === undefined ? -1 : roleOf(role, 0, role.length);
      fast = roles[k] !== -1 && g.content[k] !== undefined;
    }
    if (fast) {
      // The contents go to a scratch region of kernel memory, where the kernel can read them.
      let size = 0;
      for (let k = 0; k < n; k++) size += (g.content[k] as Uint8Array).length;
      const scratch = this.kernel.alloc(size);
      const starts = new Int32Array(n);
      const lens = new Int32Array(n);
      let at = scratch;
      for (let k = 0; k < n; k++) {
        const content = g.content[k] as Uint8Array;
        this.kernel.u8.set(content, at);
        starts[k] = at;
        lens[k] = content.length;
        at += content.length;
      }
      const written = writeRow(sink.out, this.prefixes, roles, 0, starts, lens, 0, n);
      this.kernel.release(scratch);
      if (written) return;
    }
    sink.slow(rowObject(plan, g), rowNumber);
  }

  /**
   * The hot loop, kept out of the async function so V8 optimises it on its own: converts the
   * rows that lie wholly inside both cursors' current pages and returns the next row index.
   */
  private syncRun(plan: FastPlan, cc: Cursor, rc: Cursor, start: number, rows: number, firstRow: number, sink: FastRowSink): number {
    const out = sink.out;
    const prefixes = this.prefixes;
    const maxC = plan.content.maxDef;
    const maxR = plan.role.maxDef;
    const defElement = plan.defElement;
    const cp = cc.page as Page;
    const rp = rc.page as Page;
    const { rep: cRep, def: cDef, starts: cStarts, lens: cLens } = cp;
    const { def: rDef, roles: rRoles, starts: rStarts, lens: rLens } = rp;
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
      cp.decode(cv + len);
      rp.decode(rv + len);
      let fast = (cDef[ci] as number) >= defElement;
      for (let k = 0; fast && k < len; k++) {
        fast = cDef[ci + k] === maxC && rDef[ri + k] === maxR && (rRoles[rv + k] as number) >= 0;
      }
      if (fast && writeRow(out, prefixes, rRoles, rv, cStarts, cLens, cv, len)) {
        ci += len;
        ri += len;
        cv += len;
        rv += len;
      } else {
        const g = this.g;
        const u8 = this.kernel.u8;
        g.def.length = g.role.length = g.content.length = 0;
        for (let k = 0; k < len; k++) {
          const cd = cDef[ci + k] as number;
          const rd = rDef[ri + k] as number;
          g.def.push(cd);
          g.content.push(cd === maxC ? u8.subarray(cStarts[cv] as number, (cStarts[cv] as number) + (cLens[cv] as number)) : undefined);
          g.role.push(rd === maxR ? u8.subarray(rStarts[rv] as number, (rStarts[rv] as number) + (rLens[rv] as number)) : undefined);
          if (cd === maxC) cv++;
          if (rd === maxR) rv++;
        }
        ci += len;
        ri += len;
        // Decoded now: the sink may grow kernel memory, which detaches these views.
        sink.slow(rowObject(plan, g), firstRow + row);
      }
      row++;
      if (ci >= cp.n || ri >= rp.n || out.used >= FLUSH_BYTES) break;
    }
    cc.i = ci;
    cc.v = cv;
    rc.i = ri;
    rc.v = rv;
    return row;
  }
}
