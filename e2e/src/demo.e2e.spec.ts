/**
 * `npm run demo`, run as a person would but without a terminal: `bash tools/demo/run.sh` (what
 * `npm run demo` runs) as a child process whose stdout is a pipe, so the demo prints plain lines.
 * The test reads its end state from what it printed — the seed's tuning Workspace Succeeded with
 * a digest that pulled back, the inference Workspace's WORKSPACEREADY True, both endpoints'
 * answers — and then checks that nothing is left: exit code 0, the demo's cluster gone, and no
 * process of the run still running.
 *
 * The demo starts its own control plane (KAITO_TS_DEMO_CLUSTER, here `<this tier's cluster>-demo`),
 * never this tier's: it is the user's program, and tearing its cluster down is part of what is
 * tested. Fewer training steps than the demo's default keep the tier's added time small.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterPaths, status as clusterStatus } from '@kaito-ts/cluster';
import { repoRoot } from './harness/repo.js';
import { lockHostPort } from './harness/port-lock.js';

const CLUSTER = `${process.env['KAITO_TS_CLUSTER'] ?? 'kaito-ts'}-demo`;
const STEPS = '4';

interface DemoRun {
  readonly code: number | null;
  readonly output: string;
  readonly seconds: number;
}

/** Runs the demo to its end; its process group is killed if the test's time runs out. */
function runDemo(timeoutMs: number): Promise<DemoRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, KAITO_TS_DEMO_CLUSTER: CLUSTER, KAITO_TS_DEMO_STEPS: STEPS };
  delete env['KUBECONFIG']; // the tier's cluster: the demo finds its own
  const t0 = Date.now();
  const child = spawn('bash', [join(repoRoot(), 'tools', 'demo', 'run.sh')], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // SIGTERM: the demo cleans up as on Ctrl-C (its group: run.sh and node).
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, seconds: Math.round((Date.now() - t0) / 100) / 10 });
    });
  });
}

/** Processes of the run still running: its cluster's components, its kubelet and pods, its programs. */
function leftoverProcesses(): string[] {
  const state = join(clusterPaths(CLUSTER).cacheRoot, 'demo', CLUSTER);
  const markers = [state, `/clusters/${CLUSTER}/`, `KAITO_TS_DEMO_CLUSTER=${CLUSTER}`];
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const read = (f: string): string => {
      try {
        return readFileSync(join('/proc', entry, f), 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    };
    const cmdline = read('cmdline');
    if (cmdline === '') continue; // exited, or a zombie
    const environ = read('environ');
    if (markers.some((m) => cmdline.includes(m) || environ.includes(m))) out.push(`${entry}: ${cmdline.slice(0, 200)}`);
  }
  return out;
}

describe('the demo (npm run demo)', () => {
  let run: DemoRun;

  beforeAll(async () => {
    // The demo serves on this machine's port 5000, as the CPU inference e2e does: they take turns.
    const release = await lockHostPort(5000, 600_000);
    try {
      run = await runDemo(840_000);
    } finally {
      release();
    }
    process.stdout.write(`demo e2e: npm run demo took ${run.seconds}s, exit ${String(run.code)}\n`);
  }, 1_500_000);

  it('exits 0 after every phase, each with its time', () => {
    expect({ code: run.code, tail: run.code === 0 ? '' : run.output.slice(-6000) }).toEqual({ code: 0, tail: '' });
    for (let n = 1; n <= 7; n++) expect(run.output).toMatch(new RegExp(`^✓ ${n}/7 .* in \\d+\\.\\ds`, 'm'));
    expect(run.output).toMatch(/^phases: 1 \d+\.\ds, 2 .* total \d+:\d\d$/m);
    // Plain lines: stdout is not a TTY, so no status line and no escape code.
    expect(run.output).not.toContain('\x1b[');
  });

  it('applies the seed’s tuning Workspace with only the stated rewrites, saying why qlora became lora', () => {
    expect(run.output).toMatch(/^ {4}- +method: qlora\n {4}\+ +method: lora$/m);
    expect(run.output).toContain('QLoRA loads the model in 4 bit with bitsandbytes, which needs a CUDA GPU');
    expect(run.output).toMatch(/tiny randomly initialised .* standing in for phi-3-mini-128k-instruct's weights/);
    expect(run.output).toMatch(/workspace\.kaito\.sh\/workspace-tuning-phi-3 created/);
  });

  it('shows the node coming up through gpu-provisioner and the ARM simulator, and the seed’s columns', () => {
    expect(run.output).toMatch(/NodeClaim \S+: Launched, Registered, Initialized/);
    expect(run.output).toMatch(/AKS agent pool \S+ in the simulator: Succeeded/);
    expect(run.output).toMatch(/Node aks-\S+ joined: Ready, Standard_NC6s_v3, nvidia\.com\/gpu=1/);
    expect(run.output).toMatch(/^ {4}NAME\s+INSTANCE\s+RESOURCEREADY\s+INFERENCEREADY\s+.*WORKSPACEREADY\s+AGE$/m);
    expect(run.output).toMatch(/^ {4}workspace-tuning-phi-3\s+Standard_NC6s_v3\s.*\bTrue\s+\S+$/m);
    expect(run.output).toMatch(new RegExp(`status\\.tuning: phase \\w+, step \\d+/${STEPS}, loss \\d+\\.\\d+`));
  });

  it('ends the tuning Workspace Succeeded with a digest that pulls back from the registry', () => {
    const digest = /Succeeded: the adapter is 127\.0\.0\.1:\d+\/adapters\/phi-3:0\.0\.1 with digest (sha256:[0-9a-f]{64})/.exec(run.output)?.[1];
    expect(digest).toBeDefined();
    expect(run.output).toContain(`pulled back by digest and verified (sha256 of the manifest = ${digest ?? ''})`);
    expect(run.output).toContain(`tuned, pushed (${digest ?? ''}), served and answered`);
  });

  it('serves the adapter: the inference Workspace becomes ready and both endpoints answer', () => {
    expect(run.output).toMatch(/^ {4}workspace-phi-3-tuned\s+Standard_NC6s_v3\s+True\s+True\s+True\s+\S+$/m);
    const chat = /^ {2}answer \(POST \/chat, the seed's request\): (.+)$/m.exec(run.output)?.[1] ?? '';
    const completions = /^ {2}answer \(POST \/v1\/chat\/completions\): (.+)$/m.exec(run.output)?.[1] ?? '';
    expect(chat.trim()).not.toBe('');
    expect(completions.trim()).not.toBe('');
  });

  it('leaves nothing running: the demo’s cluster is gone and no process of the run is left', async () => {
    expect(run.output).toMatch(/✓ 7\/7 clean up.*: nothing left running/);
    expect((await clusterStatus({ name: CLUSTER })).exists).toBe(false);
    expect(existsSync(join(clusterPaths(CLUSTER).cacheRoot, 'demo', CLUSTER, 'processes.json'))).toBe(false);
    expect(leftoverProcesses()).toEqual([]);
  });
});
