/**
 * Two controller processes share one Lease on the real API server: exactly one reconciles; killing
 * it (SIGKILL: no release) lets the other take over once the lease runs out, never before; a
 * SIGTERM'd leader drains, releases the lease and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '@kaito-ts/core/testing';
import { Resources } from '../api/resource.js';
import { clientFor, kubeConfigAt, repoRoot, useNamespace } from './helpers.js';

const ns = useNamespace('cr-le');
const LABEL = 'controller-runtime.test/le';
const LEASE_MS = 5_000;
const RETRY_MS = 1_000;

interface Proc {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly lines: { message: string; key?: string }[];
  readonly exited: Promise<number | null>;
}

function startProcess(identity: string): Proc {
  // node itself with tsx's loader (not the tsx CLI, which runs the program in a child process that
  // would survive a SIGKILL of the CLI).
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'manager-process.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      IDENTITY: identity,
      NAMESPACE: ns.name,
      LABEL,
      LEASE_DURATION_MS: String(LEASE_MS),
      RENEW_DEADLINE_MS: '3000',
      RETRY_PERIOD_MS: String(RETRY_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Proc['lines'] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Proc['lines'][number]);
    } catch {
      // not a log line
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { identity, child, lines, exited };
}

const reconciledKeys = (p: Proc): string[] => p.lines.filter((l) => l.message === 'reconciled').map((l) => l.key ?? '');

type Lease = { spec: { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number } };

const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
});

it('lets exactly one of two processes reconcile, and the other take over after the leader is killed', async () => {
  const { client, rest } = clientFor(kubeConfigAt());
  const lease = async () => (await client.get(Resources.Lease, 'le-test', ns.name)) as unknown as Lease;
  procs.push(startProcess('a'), startProcess('b'));
  const holder = await eventually(async () => (await lease()).spec.holderIdentity || false, { timeoutMs: 60_000, description: 'a leader' });

  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name, labels: { [LABEL]: 'true' } }, data: {} });
  for (const name of ['one', 'two', 'three']) await client.create(Resources.ConfigMap, cm(name));
  const [leader, standby] = holder === 'a' ? [procs[0] as Proc, procs[1] as Proc] : [procs[1] as Proc, procs[0] as Proc];
  await eventually(() => expect(new Set(reconciledKeys(leader))).toEqual(new Set(['one', 'two', 'three'].map((n) => `${ns.name}/${n}`))), { timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 2 * RETRY_MS)); // time for a wrongly running standby to show itself
  expect(reconciledKeys(standby)).toEqual([]);

  leader.child.kill('SIGKILL');
  await leader.exited;
  await new Promise((r) => setTimeout(r, 200)); // any renewal the leader had in flight has landed
  const last = await lease();
  expect(last.spec.holderIdentity).toBe(leader.identity);

  await client.create(Resources.ConfigMap, cm('four'));
  await eventually(() => expect(reconciledKeys(standby)).toContain(`${ns.name}/four`), { timeoutMs: 60_000, description: 'the standby reconciles' });
  const taken = await lease();
  expect(taken.spec.holderIdentity).toBe(standby.identity);
  expect(taken.spec.leaseTransitions).toBe((last.spec.leaseTransitions ?? 0) + 1);
  // Never before the lease ran out; within it, give or take one retry period (plus slack for a loaded machine).
  const waited = Date.parse(taken.spec.acquireTime ?? '') - Date.parse(last.spec.renewTime ?? '');
  expect(waited).toBeGreaterThanOrEqual(LEASE_MS);
  expect(waited).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 2_000);
  // After the takeover the standby reconciles everything (its caches were warm).
  await eventually(() => expect(new Set(reconciledKeys(standby))).toEqual(new Set(['one', 'two', 'three', 'four'].map((n) => `${ns.name}/${n}`))));
  await rest.close();
}, 150_000);

it('releases the lease and exits 0 when the leader gets SIGTERM', async () => {
  const { client, rest } = clientFor(kubeConfigAt());
  const leader = procs.find((p) => p.child.exitCode === null && p.child.signalCode === null) as Proc;
  leader.child.kill('SIGTERM');
  expect(await leader.exited).toBe(0);
  const released = (await client.get(Resources.Lease, 'le-test', ns.name)) as unknown as Lease;
  expect(released.spec.holderIdentity ?? '').toBe('');
  await rest.close();
}, 60_000);
