/**
 * `npm run bench -- convert [--size-mb 1024] [--rows-per-group 250000] [--dir /tmp/kaito-ts-bench]`
 *
 * The tuning runner's parquet → JSONL conversion, side by side: each candidate reader
 * (apps/tuning-runner/bench/candidates) converts the same generated dolly-style file in its own
 * child process, one after the other. Peak RSS is the child's VmHWM (/proc/<pid>/status, polled
 * and also reported by the child at exit); throughput is input MB per wall second. Every output
 * is hashed and compared with the first candidate's, so a faster reader that writes other bytes
 * shows as such. The file is generated once under --dir (never in the repository).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { formatConvertTable, type CandidateResult } from './convert-report.js';
import { defineSettings, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';

const APP = resolve(import.meta.dirname, '..', '..', '..', 'apps', 'tuning-runner');
export const CANDIDATES = ['hyparquet', 'parquet-wasm', 'duckdb', 'converter'] as const;

/** Runs a TypeScript file of the repository in a fresh Node (sources, not builds). */
function nodeArgs(script: string, args: readonly string[]): string[] {
  return ['--conditions=@kaito-ts/source', '--import', 'tsx', script, ...args];
}

function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // exited between polls; its own report has the final value
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function runCandidate(name: string, input: string, output: string): Promise<CandidateResult> {
  const child = spawn(process.execPath, nodeArgs(join(APP, 'bench', 'candidates', `${name}.ts`), [input, output]), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let polled = 0;
  const poll = setInterval(() => {
    if (child.pid !== undefined) polled = Math.max(polled, vmHwm(child.pid));
  }, 100);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearInterval(poll);
  if (code !== 0) return { name, error: (stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? stderr.trim().slice(-300)) || `exit ${code}` };
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { rows: number; bytesOut: number; wallS: number; cpuS: number; peakRss: number };
  return { name, rows: r.rows, bytesIn: statSync(input).size, bytesOut: r.bytesOut, wallS: r.wallS, cpuS: r.cpuS, peakRss: Math.max(polled, r.peakRss), sha256: await sha256(output) };
}

const CONVERT_SETTINGS = defineSettings({
  sizeMb: { flag: 'size-mb', codec: C.wholeNumber({ min: 1, what: 'a positive number of MB' }), default: '1024', description: 'size of the generated parquet file', placeholder: 'N' },
  rowsPerGroup: { flag: 'rows-per-group', codec: C.wholeNumber({ min: 1, what: 'a positive number of rows' }), default: '250000', description: 'rows per row group', placeholder: 'N' },
  dir: { flag: 'dir', codec: C.absolutePath, default: join(tmpdir(), 'kaito-ts-bench'), description: 'where the input and outputs go', placeholder: 'DIR' },
  only: { flag: 'only', codec: C.optional(C.text), description: `only these candidates, comma-separated (${CANDIDATES.join(', ')})`, example: 'converter', placeholder: 'LIST' },
});

export async function convertBench(argv: readonly string[]): Promise<void> {
  const parsed = parseSettings(CONVERT_SETTINGS, argv, {});
  if (parsed.help) {
    console.log(settingsHelp(CONVERT_SETTINGS, 'usage: npm run bench -- convert [flags]'));
    return;
  }
  const values = { ...parsed.values, 'size-mb': String(parsed.values.sizeMb), 'rows-per-group': String(parsed.values.rowsPerGroup) };
  mkdirSync(values.dir, { recursive: true });
  const input = join(values.dir, `dolly-${values['size-mb']}MB-SNAPPY-${values['rows-per-group']}.parquet`);
  if (!existsSync(input)) {
    console.log(`generating ${input}`);
    const gen = spawnSync(
      process.execPath,
      nodeArgs(join(APP, 'bench', 'gen-parquet.ts'), ['--out', input, '--size-mb', values['size-mb'], '--rows-per-group', values['rows-per-group']]),
      { stdio: 'inherit' },
    );
    if (gen.status !== 0) throw new Error('generating the benchmark file failed');
  }
  const names = values.only ? values.only.split(',') : [...CANDIDATES];
  const results: CandidateResult[] = [];
  for (const name of names) {
    const output = join(values.dir, `out-${name}.jsonl`);
    console.log(`converting with ${name}…`);
    results.push(await runCandidate(name, input, output));
    rmSync(output, { force: true });
  }
  console.log(formatConvertTable({ node: process.version, input, rowsPerGroup: Number(values['rows-per-group']), results }));
}
