/**
 * The wasm byte kernels of the parquet fast path (`kernel.wat`: snappy decompression and JSON
 * string escaping, 16 bytes per step) and the memory they work in. Pages are read from the file
 * and decompressed inside this memory, and the JSONL is built in it, so page bytes are never
 * copied between JS and wasm. One `Kernel` per conversion; its memory only grows (regions are
 * reused page after page, so it grows to about a page per column plus the output buffer).
 */
import { KERNEL_WASM } from './kernel-wasm.js';

// Node has WebAssembly; the project's TypeScript lib (no DOM) does not declare it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface KernelExports {
  readonly memory: WasmMemory;
  takeHigh(): number;
  snappy(src: number, srcLen: number, dst: number, dstLen: number): number;
  escape(src: number, len: number, dst: number): number;
  message(pre: number, preLen: number, src: number, len: number, dst: number): number;
}

/** Bytes the kernels may read or write past the end of a region. */
export const SLACK = 64;
/** Offsets below this hold the kernel's tables. */
const FIRST_FREE = 2048;
const PAGE = 64 * 1024;

let compiled: object | undefined;

const SNAPPY_ERRORS: Record<number, string> = {
  [-1]: 'invalid snappy length preamble',
  [-2]: 'snappy length preamble differs from the page header',
  [-3]: 'snappy input ends inside an element',
  [-4]: 'snappy output overruns the page size',
  [-5]: 'snappy copy offset out of range',
  [-6]: 'snappy output shorter than the page size',
};

export class Kernel {
  private readonly fns: KernelExports;
  private top = FIRST_FREE;
  private last = -1;
  /** The whole memory as bytes; replaced when the memory grows (re-read it after any `alloc`). */
  u8: Uint8Array;
  /** The same bytes as a Buffer (utf8Write, latin1Slice). */
  buf: Buffer;

  constructor() {
    compiled ??= new wasm.Module(Buffer.from(KERNEL_WASM, 'base64'));
    this.fns = new wasm.Instance(compiled).exports as KernelExports;
    this.u8 = new Uint8Array(this.fns.memory.buffer);
    this.buf = Buffer.from(this.fns.memory.buffer);
  }

  /** A new region of `size` bytes (plus SLACK), 16-byte aligned; may grow the memory. */
  alloc(size: number): number {
    const off = (this.top + 15) & ~15;
    const top = off + size + SLACK;
    const have = this.fns.memory.buffer.byteLength;
    if (top > have) {
      // Grow by at least a quarter so a run of growing pages does not grow it page by page.
      const want = Math.max(top, have + (have >> 2));
      this.fns.memory.grow(Math.ceil((want - have) / PAGE));
      this.u8 = new Uint8Array(this.fns.memory.buffer);
      this.buf = Buffer.from(this.fns.memory.buffer);
    }
    this.top = top;
    this.last = off;
    return off;
  }

  /** Gives back the region `alloc` returned last (for scratch space); any other is kept. */
  release(off: number): void {
    if (off === this.last) {
      this.top = off;
      this.last = -1;
    }
  }

  /** Bytes of memory in use (for tests). */
  get size(): number {
    return this.fns.memory.buffer.byteLength;
  }

  /** Decompresses a raw snappy block at `src` into exactly `dstLen` bytes at `dst`. */
  snappy(src: number, srcLen: number, dst: number, dstLen: number): void {
    const rc = this.fns.snappy(src, srcLen, dst, dstLen);
    if (rc !== 0) throw new Error(SNAPPY_ERRORS[rc] ?? `snappy error ${rc}`);
  }

  /** JSON string body of `len` bytes at `src`, written at `dst`; returns the end. */
  escape(src: number, len: number, dst: number): number {
    return this.fns.escape(src, len, dst);
  }

  /** `pre` (at most any length), the escaped content, `"}`; returns the end. */
  message(pre: number, preLen: number, src: number, len: number, dst: number): number {
    return this.fns.message(pre, preLen, src, len, dst);
  }

  /** Whether a byte >= 0x80 was escaped since the last call. */
  takeHigh(): boolean {
    return this.fns.takeHigh() !== 0;
  }
}

/** A reusable region of kernel memory that moves (contents dropped) when it must grow. */
export class Region {
  off = 0;
  cap = -1;
  constructor(private readonly kernel: Kernel) {}

  /** Makes room for `size` bytes; the contents are lost when the region moves. */
  fit(size: number): number {
    if (size > this.cap) {
      this.cap = Math.max(size, this.cap * 2, 4096);
      this.off = this.kernel.alloc(this.cap);
    }
    return this.off;
  }
}
