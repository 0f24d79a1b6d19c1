/**
 * What every conversion candidate shares after reading: each row through the converter's own
 * `normaliseRow` and `JSON.stringify`, written in ~1 MiB awaited writes, so candidates differ only
 * in how they read parquet. `report` prints the one JSON line the benchmark reads.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { normaliseRow } from '../../src/data/normalise.js';

const FLUSH = 1 << 20;

export class JsonlSink {
  rows = 0;
  bytes = 0;
  private parts: string[] = [];
  private pending = 0;
  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<JsonlSink> {
    return new JsonlSink(await open(path, 'w'));
  }

  async add(raw: unknown): Promise<void> {
    this.rows++;
    const line = JSON.stringify(normaliseRow(raw).row) + '\n';
    this.parts.push(line);
    this.pending += line.length;
    if (this.pending >= FLUSH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const buffer = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    await this.handle.write(buffer);
    this.bytes += buffer.length;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

/** Peak resident set of this process (VmHWM), in bytes. */
export function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Times `run` and prints `{rows, bytesOut, wallS, cpuS, peakRss}` as one JSON line. */
export async function measure(run: () => Promise<{ rows: number; bytesOut: number }>): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { rows, bytesOut } = await run();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ rows, bytesOut, wallS, cpuS: (cpu.user + cpu.system) / 1e6, peakRss: peakRss() }));
}

export function args(): [string, string] {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error(`usage: ${process.argv[1] ?? 'candidate'} IN.parquet OUT.jsonl`);
  return [input, output];
}
