/**
 * Writes a dolly-style chat parquet of about `--size-mb` MB, row group by row group, so the
 * generator's memory stays flat too. Usage: gen-parquet.ts --out FILE --size-mb N
 *   [--rows-per-group N] [--codec SNAPPY|GZIP|ZSTD|UNCOMPRESSED] [--seed N]
 */
import { statSync } from 'node:fs';
import { defineSettings, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { fileWriter } from 'hyparquet-writer';
import { DOLLY_SCHEMA, dollyRows } from '../src/testing/fixtures.js';
import { ParquetWriter } from 'hyparquet-writer';

const SETTINGS = defineSettings({
  out: { flag: 'out', codec: C.text, description: 'the parquet file to write', example: '/tmp/dolly.parquet', placeholder: 'FILE' },
  sizeMb: { flag: 'size-mb', codec: C.wholeNumber({ min: 1, what: 'a positive number of MB' }), default: '1024', description: 'about this many MB', placeholder: 'N' },
  rowsPerGroup: { flag: 'rows-per-group', codec: C.wholeNumber({ min: 1, what: 'a positive number of rows' }), default: '20000', description: 'rows per row group', placeholder: 'N' },
  codec: { flag: 'codec', codec: C.oneOf(['SNAPPY', 'GZIP', 'ZSTD', 'UNCOMPRESSED']), default: 'SNAPPY', description: 'page compression', placeholder: 'CODEC' },
  seed: { flag: 'seed', codec: C.wholeNumber({ min: 0 }), default: '1', description: 'first row seed', placeholder: 'N' },
});
const parsed = parseSettings(SETTINGS, process.argv.slice(2), {});
if (parsed.help) {
  console.log(settingsHelp(SETTINGS, 'usage: gen-parquet.ts --out FILE [flags]'));
  process.exit(0);
}
const { values } = parsed;
const target = values.sizeMb * 1e6;
const perGroup = values.rowsPerGroup;
const writer = fileWriter(values.out);
const w = new ParquetWriter({ writer, schema: [...DOLLY_SCHEMA], codec: values.codec });
let seed = values.seed;
let rows = 0;
while (writer.offset < target) {
  const batch = dollyRows(perGroup, seed++);
  w.write({ columnData: [{ name: 'messages', data: batch.map((r) => r.messages) }], rowGroupSize: perGroup });
  rows += perGroup;
}
w.finish();
console.log(JSON.stringify({ file: values.out, rows, bytes: statSync(values.out).size }));
