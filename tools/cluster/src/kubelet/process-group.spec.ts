import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MARKER_ENV, sweepContainers } from './process-group.js';

// A zombie waiting for its reaper counts as gone.
const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('sweepContainers', () => {
  it('kills a process a container left behind after its main process exited, found by its marker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-spec-'));
    let orphan = 0;
    try {
      // The main process (group leader) exits at once; its background sleep stays in the group.
      const main = spawn('sh', ['-c', 'sleep 60 & echo $!'], { detached: true, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', [MARKER_ENV]: dir } });
      let out = '';
      main.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await new Promise((r) => main.once('exit', r));
      orphan = Number(out.trim());
      expect(alive(orphan)).toBe(true);
      expect(sweepContainers(join(dir, 'pids'), dir)).toContain(orphan);
      const deadline = Date.now() + 5000;
      while (alive(orphan) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive(orphan)).toBe(false);
    } finally {
      if (orphan > 0 && alive(orphan)) process.kill(orphan, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves processes of another kubelet directory alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-spec-'));
    const other = spawn('sleep', ['60'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', [MARKER_ENV]: `${dir}-other` } });
    try {
      await new Promise((r) => other.once('spawn', r));
      expect(sweepContainers(join(dir, 'pids'), dir)).not.toContain(other.pid);
      expect(alive(other.pid ?? 0)).toBe(true);
    } finally {
      other.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
