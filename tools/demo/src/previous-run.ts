/**
 * What a previous demo run left running, so a second run needs no cleanup by hand.
 *
 * Every process the demo starts (controller, provisioner, simulator, registry, process kubelet)
 * is recorded in `<state dir>/processes.json` with its command line as /proc shows it. A run that
 * ended normally removes the file; one that was killed (SIGKILL, a closed terminal) leaves it, and
 * the next run stops each recorded process that still runs the same command line (a pid reused
 * by something else is left alone) before it takes the old cluster down.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as t from 'io-ts';
import { decodeOrThrow } from '@kaito-ts/core';

export const RecordedProcess = t.type({ name: t.string, pid: t.number, cmdline: t.string }, 'RecordedProcess');
export type RecordedProcess = t.TypeOf<typeof RecordedProcess>;
const RecordedProcesses = t.array(RecordedProcess, 'RecordedProcesses');

/** The command line of `pid` (arguments joined by spaces), or undefined when it does not run. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '').join(' ');
  } catch {
    return undefined;
  }
}

/** The processes of a run, kept on disk as they start. */
export class ProcessRecord {
  readonly #file: string;
  readonly #entries: RecordedProcess[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  /** Records `pid` (a no-op for an undefined pid or one that already exited). */
  add(name: string, pid: number | undefined): void {
    if (pid === undefined) return;
    const cmdline = commandLine(pid);
    if (cmdline === undefined) return;
    this.#entries.push({ name, pid, cmdline });
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(this.#file, `${JSON.stringify(this.#entries, null, 2)}\n`);
  }

  /** The run ended and stopped what it started: nothing to clean up next time. */
  clear(): void {
    this.#entries.length = 0;
    rmSync(this.#file, { force: true });
  }
}

/** The processes a previous run recorded in `file` (none when there is no file). */
export function recordedProcesses(file: string): RecordedProcess[] {
  if (!existsSync(file)) return [];
  return decodeOrThrow(RecordedProcesses, JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Stops every process recorded in `file` that still runs its recorded command line: SIGTERM, then
 * SIGKILL after `graceMs`. Removes the file. Returns what it stopped.
 */
export async function stopRecordedProcesses(file: string, graceMs = 10_000): Promise<RecordedProcess[]> {
  const alive = recordedProcesses(file).filter((p) => commandLine(p.pid) === p.cmdline);
  for (const p of alive) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive.some((p) => commandLine(p.pid) === p.cmdline)) await sleep(100);
  for (const p of alive) if (commandLine(p.pid) === p.cmdline) signal(p.pid, 'SIGKILL');
  rmSync(file, { force: true });
  return alive;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // It exited meanwhile: what we wanted.
  }
}
