/** The converter as shipped (`convertToJsonl`: footer checks, then DuckDB): what a run pays. */
import { convertToJsonl } from '../../src/data/convert.js';
import { args, measure } from './sink.js';

const [input, output] = args();
await measure(async () => {
  const result = await convertToJsonl([{ path: input, name: 'bench.parquet' }], output);
  return { rows: result.rows, bytesOut: result.bytesOut };
});
