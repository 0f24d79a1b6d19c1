/**
 * gpu-provisioner as a separate process, for tests that stop it the way a node or the kubelet
 * would: `dist/main.js` (build it first: `npx tsc -b apps/gpu-provisioner`) with only the env a
 * workload-identity pod gets, and "crash" is SIGKILL. Its output is kept in memory for a failing
 * test to show. Jest only (excluded from the build; jest runs it as CommonJS, hence `__dirname`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** `apps/gpu-provisioner/dist/main.js`. */
export const PROVISIONER_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface ProvisionerProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** `crash`: SIGKILL (no drain, nothing flushed); `graceful`: SIGTERM. Resolves once it exited. */
  stop(how: 'crash' | 'graceful'): Promise<void>;
}

/** Starts `dist/main.js` with these flags and env; resolves once it logged that it started (run it with `--log-level=info`). */
export async function startProvisionerProcess(args: readonly string[], env: Readonly<Record<string, string>>, options: { startTimeoutMs?: number } = {}): Promise<ProvisionerProcess> {
  if (!existsSync(PROVISIONER_MAIN)) throw new Error(`${PROVISIONER_MAIN} is missing: npx tsc -b apps/gpu-provisioner`);
  const child = spawn(process.execPath, [PROVISIONER_MAIN, ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('gpu provisioner started')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gpu-provisioner exited with ${code ?? 'a signal'} before starting:\n${output}`)));
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gpu-provisioner did not start within ${startTimeoutMs / 1000} s:\n${output}`));
    }, startTimeoutMs).unref();
  });
  return {
    child,
    output: () => output,
    stop: async (how) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(how === 'crash' ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
