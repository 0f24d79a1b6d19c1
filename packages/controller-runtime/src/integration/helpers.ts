/**
 * Helpers for this package's integration tests (`*.int.spec.ts`), which run against the real local
 * control plane of `tools/cluster` (jest global setup sets KUBECONFIG). They use this package's own
 * client, and the cluster tooling only through its CLI (`npm run cluster`), so the library does not
 * depend on the tool. Not part of the build (see tsconfig.json).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, openSync, closeSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from '@kaito-ts/core/testing';
import { Resources } from '../api/resource.js';
import { KubeClient } from '../client/kube-client.js';
import { RestClient, type RestClientOptions } from '../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../errors.js';

const run = promisify(execFile);
export const repoRoot = resolve(__dirname, '../../../..');

export function kubeConfigAt(path: string | undefined = process.env['KUBECONFIG']): KubeConfig {
  if (!path) throw new Error('KUBECONFIG is not set: run with jest -c jest.integration.config.cjs');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function clientFor(kc: KubeConfig, options: RestClientOptions = {}): { rest: RestClient; client: KubeClient } {
  const rest = new RestClient(kc, { qps: 100, burst: 200, ...options });
  return { rest, client: new KubeClient(rest, { fieldManager: 'controller-runtime-int-tests' }) };
}

/** A fresh namespace for one test file: created in beforeAll, deleted in afterAll. */
export function useNamespace(prefix: string, kc: () => KubeConfig = () => kubeConfigAt()): { readonly name: string } {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  let rest: RestClient | undefined;
  beforeAll(async () => {
    rest = clientFor(kc()).rest;
    await rest
      .request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } })
      .catch((err: unknown) => {
        if (!isAlreadyExists(err)) throw err;
      });
  });
  afterAll(async () => {
    await rest?.request({ method: 'DELETE', path: `/api/v1/namespaces/${name}` }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    await rest?.close();
  });
  return { name };
}

/** Server-side applies a CRD and waits until it is Established. */
export async function ensureCrd(client: KubeClient, crd: { metadata: { name: string } } & Record<string, unknown>): Promise<void> {
  await client.apply({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', ...crd } as never);
  await eventually(
    async () => {
      const got = (await client.get(Resources.CustomResourceDefinition, crd.metadata.name)) as { status?: { conditions?: { type: string; status: string }[] } };
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    { description: `CRD ${crd.metadata.name} Established` },
  );
}

/** One counter of the API server's own `/metrics` (e.g. apiserver_request_total), summed over series matching `labels`. */
export async function apiServerCounter(rest: RestClient, metric: string, labels: Record<string, string>): Promise<number> {
  const text = await rest.requestText({ method: 'GET', path: '/metrics' });
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const body = line.slice(metric.length + 1, close);
    const series = Object.fromEntries([...body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(line.slice(close + 1).trim());
  }
  return sum;
}

const cacheRoot = (): string => process.env['KAITO_TS_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kaito-ts');

/** Starts (or reuses) a separate local cluster through the cluster CLI; returns its kubeconfig path. */
export async function dedicatedCluster(name: string): Promise<string> {
  await run('npm', ['run', '-s', 'cluster', '--', 'up', '--cluster', name], { cwd: repoRoot, maxBuffer: 1 << 24 });
  const { stdout } = await run('npm', ['run', '-s', 'cluster', '--', 'kubeconfig', '--cluster', name], { cwd: repoRoot });
  return stdout.trim();
}

export async function deleteDedicatedCluster(name: string): Promise<void> {
  await run('npm', ['run', '-s', 'cluster', '--', 'down', '--cluster', name], { cwd: repoRoot, maxBuffer: 1 << 24 });
}

/**
 * Restarts only kube-apiserver of cluster `name`: stop it (SIGTERM, SIGKILL after 3 s), start the same
 * binary with the same arguments, working directory and log file, and record its new pid where
 * kwokctl keeps it (so `down` stops it). The cluster tooling has no such command yet.
 */
export async function restartApiServer(name: string): Promise<void> {
  const workdir = join(cacheRoot(), 'kwok', 'clusters', name);
  const pidFile = join(workdir, 'pids', 'kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  const [bin, ...args] = argv;
  if (bin === undefined || !bin.endsWith('kube-apiserver')) throw new Error(`pid ${pid} is not kube-apiserver: ${argv.join(' ')}`);
  // kube-apiserver's graceful shutdown waits up to 60 s for open watches to end; give it a moment,
  // then kill it, as a crash or an impatient supervisor would.
  process.kill(pid, 'SIGTERM');
  try {
    await eventually(() => exited(pid), { timeoutMs: 3_000, intervalMs: 100 });
  } catch {
    process.kill(pid, 'SIGKILL');
    await eventually(() => exited(pid), { timeoutMs: 30_000, intervalMs: 100, description: 'kube-apiserver exited' });
  }
  const log = openSync(join(workdir, 'logs', 'kube-apiserver.log'), 'a');
  const child: ChildProcess = spawn(bin, args, { cwd: workdir, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
}

/** Gone, or a zombie nobody reaps (the container's init may not). */
function exited(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}
