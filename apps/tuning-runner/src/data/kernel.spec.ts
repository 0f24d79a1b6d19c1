/**
 * The wasm kernels against references: snappy against hyparquet's JS decoder (on compressor
 * output, hand-built streams of every element kind, corrupt and random input), escaping against
 * JSON.stringify, and the committed module against kernel.wat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snappyUncompress as referenceSnappy } from 'hyparquet/src/snappy.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import wabt from 'wabt';
import { prng, sentence } from '../testing/fixtures.js';
import { KERNEL_WASM } from './kernel-wasm.js';
import { Kernel, SLACK } from './kernel.js';

const SENTINEL = 0xa5;

const kernel = new Kernel();

/** Decompresses with the kernel; checks the input and the memory past the output's slack are untouched. */
function kernelSnappy(input: Uint8Array, size: number): Uint8Array {
  const src = kernel.alloc(input.length);
  const dst = kernel.alloc(size + 256);
  kernel.u8.set(input, src);
  kernel.u8.fill(SENTINEL, dst, dst + size + 256);
  let failure: unknown;
  try {
    kernel.snappy(src, input.length, dst, size);
  } catch (err) {
    failure = err;
  }
  expect(same(kernel.u8.subarray(src, src + input.length), input)).toBe(true);
  expect(kernel.u8.subarray(dst + size + SLACK, dst + size + 256).every((b) => b === SENTINEL)).toBe(true);
  kernel.release(dst);
  if (failure) throw failure;
  return kernel.u8.slice(dst, dst + size);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function reference(input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  referenceSnappy(input, out);
  return out;
}

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
};

/** Snappy elements, written by hand (compressors never emit some of them, e.g. 4-byte offsets). */
const literal = (bytes: number[], extra?: 1 | 2 | 3 | 4): number[] => {
  const n = bytes.length - 1;
  if (!extra && n < 60) return [n << 2, ...bytes];
  const size = extra ?? (n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4);
  const len = [0, 1, 2, 3].slice(0, size).map((i) => (n >>> (8 * i)) & 0xff);
  return [(59 + size) << 2, ...len, ...bytes];
};
const copy1 = (len: number, off: number): number[] => [1 | ((len - 4) << 2) | ((off >> 8) << 5), off & 0xff];
const copy2 = (len: number, off: number): number[] => [2 | ((len - 1) << 2), off & 0xff, off >> 8];
const copy4 = (len: number, off: number): number[] => [3 | ((len - 1) << 2), off & 0xff, (off >> 8) & 0xff, (off >> 16) & 0xff, off >>> 24];
const stream = (size: number, ...elements: number[][]): Uint8Array => new Uint8Array([...varint(size), ...elements.flat()]);

const ascii = (s: string): number[] => [...Buffer.from(s)];

describe('the kernel', () => {
  it('is kernel.wat assembled (run scripts/build-kernel.ts after editing it)', async () => {
    const source = readFileSync(join(__dirname, 'kernel.wat'), 'utf8');
    const module = (await wabt()).parseWat('kernel.wat', source, { simd: true, bulk_memory: true });
    module.validate();
    const { buffer } = module.toBinary({});
    module.destroy();
    expect(Buffer.from(buffer).toString('base64')).toBe(KERNEL_WASM);
  });

  describe('snappy', () => {
    const rand = prng(5);
    const texts: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['one byte', new Uint8Array([7])],
      ['text', Buffer.from(Array.from({ length: 3000 }, () => sentence(rand, 12)).join(' '))],
      ['random bytes', Uint8Array.from({ length: 200_000 }, () => Math.floor(rand() * 256))],
      ['runs of one byte', new Uint8Array(100_000).fill(0x61)],
      ['short periods (overlapping copies)', Uint8Array.from([1, 2, 3, 5, 7, 8, 9, 12, 15, 16, 17, 31].flatMap((period) => Array.from({ length: 3000 }, (_, i) => i % period)))],
      ['JSON lines', Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"role":"user","content":"${sentence(rand, i % 50)}"}\n`).join(''))],
    ];
    for (let size = 1; size <= 70; size++) texts.push([`${size} bytes`, Uint8Array.from({ length: size }, (_, i) => (i * 7) % 5)]);

    it.each(texts)('decompresses what a compressor made: %s', (_name, input) => {
      const compressed = snappyCompress(input);
      expect(same(kernelSnappy(compressed, input.length), input)).toBe(true);
    });

    it('reads every element kind, with every literal length encoding and overlapping copies', () => {
      const abc = ascii('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!?');
      const elements = [
        literal(abc.slice(0, 20)),
        literal(abc.slice(0, 1), 1),
        literal(abc.slice(0, 3), 2),
        literal(abc.slice(0, 60), 3),
        literal(abc.slice(0, 64), 4),
        literal(abc.slice(0, 61)),
        copy1(4, 1),
        copy1(11, 2),
        copy1(11, 7),
        copy1(8, 9),
        copy1(11, 200),
        copy1(5, 1800),
        copy2(64, 1),
        copy2(64, 3),
        copy2(64, 8),
        copy2(64, 15),
        copy2(64, 16),
        copy2(33, 17),
        copy2(17, 40),
        copy2(1, 100),
        copy4(64, 5),
        copy4(20, 300),
        literal(abc.slice(0, 5)),
      ];
      // Each element alone after a literal long enough for its offset, then all of them together.
      const prefix = literal(Array.from({ length: 1900 }, (_, i) => abc[i % abc.length]!), 2);
      // (A short literal ends each stream: the reference wants 4 bytes after a long literal's tag.)
      for (const e of elements) {
        const size = 1900 + elementLength(e) + 1;
        const input = stream(size, prefix, e, literal([0x21]));
        expect(same(kernelSnappy(input, size), reference(input, size))).toBe(true);
      }
      const total = elements.reduce((n, e) => n + elementLength(e), 1900);
      const input = stream(total, prefix, ...elements);
      expect(same(kernelSnappy(input, total), reference(input, total))).toBe(true);
    });

    it('rejects truncated, overrunning and out-of-range input', () => {
      const input = snappyCompress(Buffer.from(Array.from({ length: 200 }, (_, i) => sentence(prng(i), 10)).join(' ')));
      const size = reference(input, decodedLength(input)).length;
      for (let cut = 0; cut < input.length; cut += cut < 64 ? 1 : 13) expect(() => kernelSnappy(input.subarray(0, cut), size)).toThrow(/snappy/);
      expect(() => kernelSnappy(input, size + 1)).toThrow('snappy length preamble differs from the page header');
      expect(() => kernelSnappy(stream(4, copy1(4, 1)), 4)).toThrow('snappy copy offset out of range');
      expect(() => kernelSnappy(stream(8, literal(ascii('ab')), copy1(4, 3)), 8)).toThrow('snappy copy offset out of range');
      expect(() => kernelSnappy(stream(8, literal(ascii('ab')), copy2(4, 0)), 8)).toThrow('snappy copy offset out of range');
      expect(() => kernelSnappy(stream(4, literal(ascii('abcde'))), 4)).toThrow('snappy output overruns the page size');
      expect(() => kernelSnappy(stream(6, literal(ascii('ab')), copy1(6, 2)), 6)).toThrow('snappy output overruns the page size');
      expect(() => kernelSnappy(stream(6, literal(ascii('ab'))), 6)).toThrow('snappy output shorter than the page size');
      expect(() => kernelSnappy(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0)).toThrow('invalid snappy length preamble');
      expect(() => kernelSnappy(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x61]), 0)).toThrow('snappy length preamble differs from the page header');
      expect(() => kernelSnappy(new Uint8Array([10, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x61]), 10)).toThrow('snappy input ends inside an element');
    });

    it('agrees with the reference on damaged streams: the same bytes, or an error', () => {
      const rand = prng(11);
      const text = Buffer.from(Array.from({ length: 300 }, () => sentence(rand, 9)).join(' '));
      const good = snappyCompress(text);
      let agreed = 0;
      for (let i = 0; i < 3000; i++) {
        const bad = Uint8Array.from(good);
        for (let k = 0, n = 1 + Math.floor(rand() * 4); k < n; k++) bad[1 + Math.floor(rand() * (bad.length - 1))] = Math.floor(rand() * 256);
        let ours: Uint8Array | undefined;
        try {
          ours = kernelSnappy(bad, text.length);
        } catch {
          continue;
        }
        expect(same(ours, reference(bad, text.length))).toBe(true);
        agreed++;
      }
      expect(agreed).toBeGreaterThan(0);
    });
  });

  describe('escape', () => {
    function escape(bytes: Uint8Array, after = 0x22): { text: string; high: boolean } {
      const src = kernel.alloc(bytes.length);
      kernel.u8.set(bytes, src);
      kernel.u8.fill(after, src + bytes.length, src + bytes.length + SLACK); // bytes past the end must not count
      const dst = kernel.alloc(bytes.length * 6);
      kernel.takeHigh();
      const end = kernel.escape(src, bytes.length, dst);
      return { text: Buffer.from(kernel.u8.subarray(dst, end)).toString('utf8'), high: kernel.takeHigh() };
    }
    const json = (s: string): string => JSON.stringify(s).slice(1, -1);

    it('escapes every ASCII byte as JSON.stringify does, at every position of a 16-byte step', () => {
      for (let b = 0; b < 0x80; b++) {
        for (const at of [0, 1, 14, 15, 16, 17, 31, 32, 40]) {
          const s = 'x'.repeat(at) + String.fromCharCode(b) + 'y'.repeat(at % 7);
          expect(escape(Buffer.from(s))).toEqual({ text: json(s), high: false });
        }
      }
    });

    it('copies valid UTF-8 as is and reports bytes >= 0x80', () => {
      const rand = prng(3);
      const pieces = ['a', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', 'ß', '€', '東京', '\u2028', '\u2029', '🚀', '𝄞', '\uFEFF', ' '];
      for (let i = 0; i < 500; i++) {
        let s = '';
        for (let k = 0, n = Math.floor(rand() * 60); k < n; k++) s += pieces[Math.floor(rand() * pieces.length)];
        expect(escape(Buffer.from(s))).toEqual({ text: json(s), high: [...s].some((c) => c.charCodeAt(0) >= 0x80) });
      }
    });

    it('handles empty input and long input with escapes at step boundaries', () => {
      expect(escape(new Uint8Array(0))).toEqual({ text: '', high: false });
      const s = Array.from({ length: 5000 }, (_, i) => (i % 16 === 15 ? '"' : i % 33 === 0 ? '\t' : 'z')).join('');
      expect(escape(Buffer.from(s), 0x5c)).toEqual({ text: json(s), high: false });
    });

    it('writes a message: the prefix, the escaped content, and a closing quote and brace', () => {
      for (const prefix of ['{"messages":[{"role":"assistant","content":"', 'p'.repeat(49), 'p'.repeat(200)]) {
        const pre = kernel.alloc(prefix.length);
        kernel.u8.set(Buffer.from(prefix), pre);
        const src = kernel.alloc(8);
        kernel.u8.set(Buffer.from('a"b\nc'), src);
        const dst = kernel.alloc(512);
        const end = kernel.message(pre, prefix.length, src, 5, dst);
        expect(Buffer.from(kernel.u8.subarray(dst, end)).toString()).toBe(`${prefix}a\\"b\\nc"}`);
      }
    });
  });
});

function elementLength(e: number[]): number {
  const tag = e[0]!;
  const kind = tag & 3;
  if (kind === 0) {
    const n = tag >> 2;
    if (n < 60) return n + 1;
    let len = 0;
    for (let i = 0; i < n - 59; i++) len |= e[1 + i]! << (8 * i);
    return len + 1;
  }
  if (kind === 1) return ((tag >> 2) & 7) + 4;
  return (tag >> 2) + 1;
}

function decodedLength(input: Uint8Array): number {
  let len = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    len |= (input[i]! & 0x7f) << shift;
    if (!(input[i]! & 0x80)) return len;
  }
}
