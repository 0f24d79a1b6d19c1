import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandLine, ProcessRecord, recordedProcesses, stopRecordedProcesses } from './previous-run.js';

describe('a previous run’s processes', () => {
  let dir: string;
  const children: Array<ReturnType<typeof spawn>> = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-previous-run-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A child that lives until killed, as a leftover controller would. */
  function leftover(): number {
    const c = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(c);
    if (c.pid === undefined) throw new Error('sleep did not start');
    return c.pid;
  }

  const exited = (pid: number): Promise<void> =>
    new Promise((resolve) => {
      const c = children.find((x) => x.pid === pid);
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
    });

  it('records each process with its command line, and the next run stops the ones still running it', async () => {
    const file = join(dir, 'processes.json');
    const pid = leftover();
    await new Promise((r) => setTimeout(r, 50)); // exec done: /proc shows sleep's command line
    const record = new ProcessRecord(file);
    record.add('workspace-controller', pid);
    expect(recordedProcesses(file)).toEqual([{ name: 'workspace-controller', pid, cmdline: 'sleep 300' }]);

    const stopped = await stopRecordedProcesses(file, 2_000);
    expect(stopped.map((p) => p.name)).toEqual(['workspace-controller']);
    await exited(pid);
    expect(commandLine(pid)).not.toBe('sleep 300');
    expect(existsSync(file)).toBe(false);
  });

  it('leaves alone a recorded pid that now runs another command line (a reused pid)', async () => {
    const file = join(dir, 'processes.json');
    const pid = leftover();
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(file, JSON.stringify([{ name: 'gpu-provisioner', pid, cmdline: 'node apps/gpu-provisioner/src/main.ts' }]));
    expect(await stopRecordedProcesses(file, 500)).toEqual([]);
    expect(commandLine(pid)).toBe('sleep 300');
  });

  it('has nothing to stop after a run that cleared its record', async () => {
    const file = join(dir, 'processes.json');
    const record = new ProcessRecord(file);
    record.add('registry', leftover());
    record.clear();
    expect(existsSync(file)).toBe(false);
    expect(await stopRecordedProcesses(file)).toEqual([]);
  });

  it('names the file and field of a record it cannot read', () => {
    const file = join(dir, 'processes.json');
    writeFileSync(file, JSON.stringify([{ name: 'x', pid: 'twelve', cmdline: 'y' }]));
    expect(() => recordedProcesses(file)).toThrow(/processes\.json.*\[0\]\.pid/s);
  });
});
