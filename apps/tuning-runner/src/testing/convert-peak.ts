/**
 * Converts one file in a fresh process with the default limits and prints one JSON line:
 * `{ "rows": n }` or `{ "error": message, "name": class }`, with `peakRss` (VmHWM, bytes). Tests use it
 * to hold the converter to its memory cap on hostile input. Usage: convert-peak.ts IN NAME OUT
 */
import { readFileSync } from 'node:fs';
import { convertToJsonl } from '../data/convert.js';

const [input, name, output] = process.argv.slice(2);
if (!input || !name || !output) throw new Error('usage: convert-peak.ts IN NAME OUT');
const peakRss = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
try {
  const result = await convertToJsonl([{ path: input, name }], output);
  console.log(JSON.stringify({ rows: result.rows, peakRss: peakRss() }));
} catch (err) {
  console.log(JSON.stringify({ error: (err as Error).message, name: (err as Error).name, peakRss: peakRss() }));
}
