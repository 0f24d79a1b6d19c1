/**
 * What a tuning run reads, made on this machine: the tiny model (the trainer's own
 * `kaito_trainer.tiny`, in the trainer venv), dolly-style datasets (parquet written by the venv's
 * pyarrow, as philschmid/dolly-15k-oai-style is: `messages: list<struct<content, role>>`) and a
 * local HTTP server that serves them, as Hugging Face serves the seed's dataset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { repoRoot } from './repo.js';

const SETUP = 'run apps/tuning-runner/scripts/setup-test-deps.sh (as root) once';

/** The trainer venv's python: `TRAINER_PYTHON`, else where the setup script puts it. */
export function trainerPython(): string {
  const fromEnv = process.env['TRAINER_PYTHON'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const venv = process.env['TUNING_VENV'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kaito-ts', 'venv-trainer');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) throw new Error(`the trainer venv is not at ${venv}; ${SETUP}`);
  return python;
}

function python(args: readonly string[], input?: string, cwd?: string): string {
  const r = spawnSync(trainerPython(), args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}), ...(cwd !== undefined ? { cwd } : {}) });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

/** Writes the trainer's tiny llama-style model (random weights, a real tokenizer) into `dir`. */
export function writeTinyModel(dir: string): void {
  python(['-m', 'kaito_trainer.tiny', '--out', dir], undefined, join(repoRoot(), 'apps', 'tuning-runner', 'trainer'));
}

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** `count` dolly-style rows (instruction → response), deterministic. */
export function dollyRows(count: number): ChatMessage[][] {
  const topics = ['rivers', 'volcanoes', 'tea', 'bridges', 'owls', 'comets', 'violins', 'glaciers'];
  return Array.from({ length: count }, (_, i) => {
    const topic = topics[i % topics.length] ?? 'things';
    return [
      { role: 'user', content: `Tell me one fact about ${topic} (${i}).` },
      { role: 'assistant', content: `Here is a fact about ${topic}: they are studied by people who like ${topics[(i + 3) % topics.length] ?? 'them'}.` },
    ];
  });
}

const WRITE_PARQUET = [
  'import json, sys',
  'import pyarrow as pa, pyarrow.parquet as pq',
  'rows = json.load(sys.stdin)',
  'kind = pa.list_(pa.struct([("content", pa.string()), ("role", pa.string())]))',
  'pq.write_table(pa.table({"messages": pa.array(rows, type=kind)}), sys.argv[1])',
].join('\n');

/** A parquet file of `rows` in the dolly-15k-oai-style schema. */
export function writeDollyParquet(path: string, rows: readonly ChatMessage[][]): void {
  python(['-c', WRITE_PARQUET, path], JSON.stringify(rows));
}

/** A JSON Lines file, one `{"messages": …}` per row. */
export function writeChatJsonl(path: string, rows: readonly ChatMessage[][]): void {
  writeFileSync(path, rows.map((messages) => JSON.stringify({ messages })).join('\n') + '\n');
}

export interface DataServer {
  /** `http://127.0.0.1:<port>/datasets/<file name>` */
  url(file: string): string;
  /** Requests served, by path (a run that never downloaded shows here). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** Serves each of `files` at `/datasets/<its name>`; anything else is a 404. */
export async function serveDatasets(files: readonly string[]): Promise<DataServer> {
  const byName = new Map(files.map((f) => [basename(f), f]));
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    requests.push(path);
    const file = path.startsWith('/datasets/') ? byName.get(path.slice('/datasets/'.length)) : undefined;
    if (file === undefined) return void res.writeHead(404).end();
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (file) => `http://127.0.0.1:${port}/datasets/${file}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A scratch folder removed by `remove()`. */
export function scratch(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
