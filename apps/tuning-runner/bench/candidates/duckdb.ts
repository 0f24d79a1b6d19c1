/**
 * Candidate: DuckDB (native, @duckdb/node-api) streaming `read_parquet` in 2,048-row chunks,
 * converted to JS objects. One thread and a memory limit, as the runner would configure it.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { args, JsonlSink, measure } from './sink.js';

const [input, output] = args();
await measure(async () => {
  const sink = await JsonlSink.open(output);
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '64MiB' });
  const connection = await instance.connect();
  const result = await connection.stream(`SELECT * FROM read_parquet('${input.replace(/'/g, "''")}')`);
  for await (const rows of result.yieldRowObjectJs()) {
    for (const row of rows) await sink.add(row);
  }
  connection.closeSync();
  instance.closeSync();
  await sink.close();
  return { rows: sink.rows, bytesOut: sink.bytes };
});
