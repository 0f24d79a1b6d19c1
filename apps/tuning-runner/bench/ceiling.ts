/**
 * The machine's ceiling for the conversion: what a parquet → JSONL converter cannot avoid doing
 * for a file, each step timed alone in CPU seconds (this process's user + system time).
 *
 *   npx tsx apps/tuning-runner/bench/ceiling.ts FILE.parquet [--out-ratio 2.04]
 *
 * - read: the file, sequentially in 1 MiB reads;
 * - decompress: every page, with the kernel's snappy and with hyparquet-compressors' (wasm);
 * - escape: the decompressed values JSON-escaped by the kernel, one by one;
 * - write: `--out-ratio` × the file's size (the JSONL) to a file in 1 MiB writes.
 * The sum of read + kernel snappy + write is what no converter of this file can go below here.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parquetMetadata } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetHeader } from 'hyparquet/src/column.js';
import { Kernel, Region } from '../src/data/kernel.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'out-ratio': { type: 'string', default: '2.04' } } });
const file = positionals[0];
if (!file) throw new Error('usage: ceiling.ts FILE.parquet [--out-ratio 2.04]');
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const fd = openSync(file, 'r');
const chunk = Buffer.allocUnsafe(1 << 20);

// read
let t = cpu();
let size = 0;
for (let n; (n = readSync(fd, chunk, 0, chunk.length, size)) > 0; ) size += n;
const readS = cpu() - t;
const mb = size / 1e6;

// decompress (and escape) page by page, one column chunk in memory at a time
const tail = Buffer.alloc(8);
readSync(fd, tail, 0, 8, size - 8);
const footer = Buffer.alloc(tail.readUInt32LE(0) + 8); // the metadata, its length and PAR1
readSync(fd, footer, 0, footer.length, size - footer.length);
const metadata = parquetMetadata(footer.buffer.slice(footer.byteOffset, footer.byteOffset + footer.length) as ArrayBuffer);
const hysnappy = compressors.SNAPPY;
if (!hysnappy) throw new Error('hyparquet-compressors has no SNAPPY');
const kernel = new Kernel();
const [srcRegion, dstRegion, escRegion] = [new Region(kernel), new Region(kernel), new Region(kernel)];
let kernelS = 0;
let wasmS = 0;
let escapeS = 0;
let pages = 0;
let decompressed = 0;
for (const group of metadata.row_groups) {
  for (const column of group.columns) {
    const meta = column.meta_data;
    if (!meta || meta.codec !== 'SNAPPY') throw new Error('ceiling.ts measures snappy files');
    const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    const length = Number(meta.total_compressed_size);
    const bytes = Buffer.allocUnsafe(length);
    readSync(fd, bytes, 0, length, start);
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, length), offset: 0 };
    while (reader.offset < length) {
      const header = parquetHeader(reader);
      const v2 = header.data_page_header_v2;
      const levels = v2 ? v2.repetition_levels_byte_length + v2.definition_levels_byte_length : 0;
      const body = bytes.subarray(reader.offset + levels, reader.offset + header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      const out = header.uncompressed_page_size - levels;
      const src = srcRegion.fit(body.length);
      const dst = dstRegion.fit(out);
      const esc = escRegion.fit(out * 6);
      kernel.u8.set(body, src);
      t = cpu();
      kernel.snappy(src, body.length, dst, out);
      kernelS += cpu() - t;
      t = cpu();
      hysnappy(body, out);
      wasmS += cpu() - t;
      // the values one by one (PLAIN byte arrays: a 4-byte length, the bytes); other pages whole
      const plain = v2?.encoding === 'PLAIN' && header.type === 'DATA_PAGE_V2';
      const view = new DataView(kernel.u8.buffer, dst, out);
      t = cpu();
      if (plain) {
        for (let at = 0, to = esc; at + 4 <= out; ) {
          const len = view.getUint32(at, true);
          to = kernel.escape(dst + at + 4, len, to);
          at += 4 + len;
        }
      } else {
        kernel.escape(dst, out, esc);
      }
      escapeS += cpu() - t;
      pages++;
      decompressed += out;
    }
  }
}
closeSync(fd);

// write
const outBytes = Math.round(size * Number(values['out-ratio']));
const outPath = join(tmpdir(), `kaito-ts-ceiling-${process.pid}.bin`);
chunk.fill(0x61);
t = cpu();
const out = openSync(outPath, 'w');
for (let written = 0; written < outBytes; ) written += writeSync(out, chunk, 0, Math.min(chunk.length, outBytes - written));
closeSync(out);
const writeS = cpu() - t;
rmSync(outPath, { force: true });

const row = (what: string, s: number): void => console.log(`${what.padEnd(44)} ${s.toFixed(2).padStart(6)} s   ${(mb / s).toFixed(0).padStart(6)} MB/cpu-s`);
console.log(`ceiling for ${file}: ${mb.toFixed(0)} MB, ${pages} pages, ${(decompressed / 1e6).toFixed(0)} MB decompressed, ${(outBytes / 1e6).toFixed(0)} MB written; node ${process.version}`);
row('read (1 MiB reads)', readS);
row('snappy: the kernel (kernel.wat)', kernelS);
row('snappy: hyparquet-compressors (hysnappy wasm)', wasmS);
row('JSON-escape the values: the kernel', escapeS);
row('write the JSONL (1 MiB writes)', writeS);
row('read + kernel snappy + write (the floor)', readS + kernelS + writeS);
row('  + escape', readS + kernelS + writeS + escapeS);
