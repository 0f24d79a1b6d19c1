/**
 * Writes a dolly-style chat parquet of about `--size-mb` MB, row group by row group, so the
 * generator's memory stays flat too. Usage: gen-parquet.ts --out FILE --size-mb N
 *   [--rows-per-group N] [--codec SNAPPY|GZIP|ZSTD|UNCOMPRESSED] [--seed N]
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileWriter } from 'hyparquet-writer';
import { DOLLY_SCHEMA, dollyRows } from '../src/testing/fixtures.js';
import { ParquetWriter } from 'hyparquet-writer';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'size-mb': { type: 'string', default: '1024' },
    'rows-per-group': { type: 'string', default: '20000' },
    codec: { type: 'string', default: 'SNAPPY' },
    seed: { type: 'string', default: '1' },
  },
});
if (!values.out) throw new Error('--out is required');
const target = Number(values['size-mb']) * 1e6;
const perGroup = Number(values['rows-per-group']);
const writer = fileWriter(values.out);
const w = new ParquetWriter({ writer, schema: [...DOLLY_SCHEMA], codec: values.codec as 'SNAPPY' });
let seed = Number(values.seed);
let rows = 0;
while (writer.offset < target) {
  const batch = dollyRows(perGroup, seed++);
  w.write({ columnData: [{ name: 'messages', data: batch.map((r) => r.messages) }], rowGroupSize: perGroup });
  rows += perGroup;
}
w.finish();
console.log(JSON.stringify({ file: values.out, rows, bytes: statSync(values.out).size }));
