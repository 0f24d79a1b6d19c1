/**
 * Candidate: parquet-wasm (arrow-rs compiled to WebAssembly) streaming record batches of 1,024
 * rows from a lazily read file Blob, each turned into an apache-arrow Table through IPC.
 */
import { openAsBlob } from 'node:fs';
import { tableFromIPC, Vector } from 'apache-arrow';
import { ParquetFile } from 'parquet-wasm/node';
import { args, JsonlSink, measure } from './sink.js';

const [input, output] = args();
await measure(async () => {
  const sink = await JsonlSink.open(output);
  const file = await ParquetFile.fromFile(await openAsBlob(input));
  const stream = await file.stream({ batchSize: 1024 });
  for await (const batch of stream as unknown as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
    // intoIPCStream moves the batch out of wasm memory (it frees it).
    const table = tableFromIPC(batch.intoIPCStream());
    for (const row of table) await sink.add(plain(row));
  }
  await sink.close();
  return { rows: sink.rows, bytesOut: sink.bytes };
});

/** Arrow rows and lists as plain objects and arrays, as the other readers give them. */
function plain(value: unknown): unknown {
  if (value instanceof Vector) return Array.from(value as Vector, plain);
  // A StructRow is a Proxy whose `has` knows only its fields: test toJSON by reading it.
  const toJSON = value !== null && typeof value === 'object' ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJSON === 'function') {
    const fields = toJSON.call(value) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
