import { open, type FileHandle } from 'node:fs/promises';
import type { AsyncBuffer } from 'hyparquet';

/**
 * A hyparquet AsyncBuffer over an open file: each slice is one positioned read into a fresh
 * buffer, so memory holds only the byte ranges being decoded (a row group's column chunks), never
 * the file.
 */
export interface FileBuffer extends AsyncBuffer {
  close(): Promise<void>;
}

export async function openFileBuffer(path: string): Promise<FileBuffer> {
  const handle: FileHandle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const length = Math.max(0, stop - start);
      const out = new ArrayBuffer(length);
      const view = new Uint8Array(out);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(view, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done} of ${size}`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}
