/**
 * A minimal deterministic ustar writer: fixed mode, uid/gid 0, mtime 0, no user names, so the
 * same adapter files always give the same layer digest.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export type TarEntry =
  | { readonly type: 'dir'; readonly name: string }
  | { readonly type: 'file'; readonly name: string; readonly size: number; readonly path: string };

const BLOCK = 512;
const MAX_SIZE = 0o77777777777; // 8 GiB - 1, the largest size an octal ustar field holds

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(entry: TarEntry): Buffer {
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar entry name too long: ${entry.name}`);
  const size = entry.type === 'file' ? entry.size : 0;
  if (size > MAX_SIZE) throw new Error(`tar entry ${entry.name} is over 8 GiB`);
  const h = Buffer.alloc(BLOCK);
  h.write(entry.name, 0, 100, 'utf8');
  h.write(octal(entry.type === 'dir' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum placeholder
  h.write(entry.type === 'dir' ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** The tar stream for `entries`, reading file contents from disk as it goes. */
export function tarStream(entries: readonly TarEntry[]): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      yield tarHeader(entry);
      if (entry.type !== 'file') continue;
      let seen = 0;
      for await (const chunk of createReadStream(entry.path, { highWaterMark: 1 << 20 })) {
        seen += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (seen !== entry.size) throw new Error(`${entry.path} changed size while archiving (${entry.size} → ${seen} bytes)`);
      const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(generate(), { objectMode: false });
}

export interface TarListing {
  readonly name: string;
  readonly type: 'dir' | 'file';
  readonly size: number;
  readonly mode: number;
  readonly data: Buffer;
}

/** Reads a whole tar held in memory (tests and verification of small layers). */
export function listTar(tar: Buffer): TarListing[] {
  const out: TarListing[] = [];
  for (let off = 0; off + BLOCK <= tar.length; ) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(h.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const mode = parseInt(h.toString('ascii', 100, 108).replace(/\0.*$/s, '').trim() || '0', 8);
    const type = h.toString('ascii', 156, 157) === '5' ? 'dir' : 'file';
    off += BLOCK;
    out.push({ name, type, size, mode, data: tar.subarray(off, off + size) });
    off += Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
