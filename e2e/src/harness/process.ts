/**
 * A program of this repository run as its own OS process, as a cluster runs it: `tsx <script>`
 * with flags and env, stdout and stderr appended to one log file (the e2e reporter keeps the log
 * folder when a test failed, see jest.e2e.config.cjs), "up" once a given line appears. It can be
 * stopped gracefully (SIGTERM: the process drains), crashed (SIGKILL: nothing drains, memory is
 * lost) and started again with the same spec, as a pod restart would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './repo.js';

export interface ProcessSpec {
  /** Short name for errors, e.g. `workspace-controller`. */
  readonly name: string;
  /** The TypeScript entry point, relative to the repository root. */
  readonly script: string;
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The process is up once its output contains this. */
  readonly readyWhen: string | RegExp;
  /** Where stdout and stderr go (appended: restarts share one file). */
  readonly logFile: string;
  /** Default 60 s: a cold tsx start on a loaded 2-core machine. */
  readonly startTimeoutMs?: number;
}

/**
 * `KAITO_TS_E2E_PROGRAMS=dist` runs the built entry points (`<project>/dist/…js`), which start in
 * half the time tsx takes (it matters when the chaos suite restarts a process 20 times); `npm test`
 * sets it, having just built every project. Default `source`: tsx runs the TypeScript, so a local
 * run needs no build and never runs stale code.
 */
export function programArgs(script: string): string[] {
  const root = repoRoot();
  if (process.env['KAITO_TS_E2E_PROGRAMS'] !== 'dist') {
    // One OS process: node with tsx as its loader. The tsx CLI would run the program in a child of
    // its own, which a SIGKILL of the CLI leaves running (an orphan still acting on the cluster).
    // The source condition: workspace packages resolve to their TypeScript.
    return ['--conditions=@kaito-ts/source', '--import', 'tsx', join(root, script)];
  }
  const built = join(root, script.replace('/src/', '/dist/').replace(/\.ts$/, '.js'));
  if (!existsSync(built)) throw new Error(`KAITO_TS_E2E_PROGRAMS=dist: ${built} is missing; build it (npx nx run-many -t build) or unset the variable`);
  return [built];
}

/** How long SIGTERM may take before the process is killed. */
const STOP_GRACE_MS = 15_000;

const matches = (output: string, want: string | RegExp): RegExpMatchArray | boolean => (typeof want === 'string' ? output.includes(want) : (output.match(want) ?? false));

export class ManagedProcess {
  readonly spec: ProcessSpec;
  /** The output that made the process count as up (the matched line, for a RegExp with groups). */
  readonly readyMatch: RegExpMatchArray | undefined;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  private constructor(spec: ProcessSpec, child: ChildProcess, exited: Promise<number | null>, readyMatch: RegExpMatchArray | undefined) {
    this.spec = spec;
    this.#child = child;
    this.#exited = exited;
    this.readyMatch = readyMatch;
    void exited.then((code) => {
      this.#exitCode = code;
    });
  }

  /** Starts `spec` and resolves once it is up; rejects (with its output) if it exits or times out first. */
  static async start(spec: ProcessSpec): Promise<ManagedProcess> {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const log: WriteStream = createWriteStream(spec.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [...programArgs(spec.script), ...spec.args], {
      cwd: repoRoot(),
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'close', not 'exit': it comes after the last output was read, so no log line is lost.
    const exited = new Promise<number | null>((resolve) =>
      child.once('close', (code) => {
        log.end();
        resolve(code);
      }),
    );
    let output = '';
    const ready = await new Promise<RegExpMatchArray | undefined>((resolve, reject) => {
      let done = false;
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        if (done) return;
        output += chunk.toString('utf8');
        const m = matches(output, spec.readyWhen);
        if (m !== false) {
          done = true;
          resolve(typeof m === 'boolean' ? undefined : m);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => {
        if (!done) reject(new Error(`${spec.name} exited with ${code ?? 'a signal'} before it was up (log: ${spec.logFile}):\n${output.slice(-4000)}`));
      });
      setTimeout(() => {
        if (done) return;
        child.kill('SIGKILL');
        reject(new Error(`${spec.name} was not up within ${spec.startTimeoutMs ?? 60_000} ms (log: ${spec.logFile}):\n${output.slice(-4000)}`));
      }, spec.startTimeoutMs ?? 60_000).unref();
    });
    return new ManagedProcess(spec, child, exited, ready);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** Sends `signal` and waits for the process to exit; resolves with its exit code (null: a signal). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.running) this.#child.kill(signal);
    return this.#exited;
  }

  /** SIGTERM (in-flight work drains), SIGKILL if it has not exited within the grace period. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.#exited;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Crashes the process (SIGKILL) and starts it again with the same spec, as a pod restart would. */
  async crashAndRestart(): Promise<ManagedProcess> {
    await this.kill('SIGKILL');
    return ManagedProcess.start(this.spec);
  }
}
