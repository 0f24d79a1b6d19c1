/**
 * Candidate: hyparquet's generic object path (the converter's reader before DuckDB): one row
 * group at a time as JS objects, read through a file-backed AsyncBuffer.
 */
import { open } from 'node:fs/promises';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { args, JsonlSink, measure } from './sink.js';

const [input, output] = args();
await measure(async () => {
  const sink = await JsonlSink.open(output);
  const handle = await open(input, 'r');
  const { size } = await handle.stat();
  const file: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = new Uint8Array(Math.min(end ?? size, size) - start);
      for (let done = 0; done < bytes.length; ) done += (await handle.read(bytes, done, bytes.length - done, start + done)).bytesRead;
      return bytes.buffer;
    },
  };
  const metadata = await parquetMetadataAsync(file);
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    for (const row of await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors })) await sink.add(row);
    start = end;
  }
  await handle.close();
  await sink.close();
  return { rows: sink.rows, bytesOut: sink.bytes };
});
