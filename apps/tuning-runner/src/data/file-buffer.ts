import { open, type FileHandle } from 'node:fs/promises';
import type { AsyncBuffer } from 'hyparquet';

/**
 * A hyparquet AsyncBuffer over an open file: each slice is one positioned read into a fresh
 * buffer, so memory holds only the byte ranges being decoded (a row group's column chunks), never
 * the file.
 */
export interface FileBuffer extends AsyncBuffer {
  /** Reads `length` bytes at `position` of the file into `target[offset..]` (no allocation). */
  readInto(target: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  close(): Promise<void>;
}

export async function openFileBuffer(path: string): Promise<FileBuffer> {
  const handle: FileHandle = await open(path, 'r');
  const { size } = await handle.stat();
  const readInto = async (target: Uint8Array, offset: number, length: number, position: number): Promise<void> => {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(target, offset + done, length - done, position + done);
      if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done} of ${size}`);
      done += bytesRead;
    }
  };
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const length = Math.max(0, stop - start);
      const out = new ArrayBuffer(length);
      await readInto(new Uint8Array(out), 0, length, start);
      return out;
    },
    readInto,
    close: () => handle.close(),
  };
}
