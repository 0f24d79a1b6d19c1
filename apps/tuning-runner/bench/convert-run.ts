/**
 * One conversion in a fresh process (so peak RSS is the converter's own): prints a JSON line
 * with rows, bytes in/out, wall and CPU seconds, and peak RSS. Usage: convert-run.ts IN OUT [--generic]
 */
import { convertToJsonl } from '../src/data/convert.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: convert-run.ts IN OUT [--generic]');
const generic = process.argv.includes('--generic');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await convertToJsonl([{ path: input, name: input.split('/').pop() ?? input }], output, { parquetFastPath: !generic });
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    rows: result.rows,
    bytesIn: result.bytesIn,
    bytesOut: result.bytesOut,
    fastPath: result.files[0]?.fast,
    wallS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
