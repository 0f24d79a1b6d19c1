/**
 * `npm run bench -- gpu-provisioner [--claims 50] [--create-delay 5s] [--delete-delay 2s] [--json]`
 *
 * gpu-provisioner and the ARM + Entra simulator as two processes (their built `dist/main.js`, as
 * production runs them; cli.ts builds them first) on the local control plane (`KAITO_TS_CLUSTER`, started if it is not
 * running). Creates the claims at once, waits until all are Ready, deletes them at once, waits
 * until they and their agent pools are gone, and prints the ARM requests of each phase by kind
 * (the simulator's counters) and the time from each Node being Ready to its claim being
 * Initialized, next to what the reference's polling implies. Numbers, not pass/fail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPath, kubeClientsFor, loadKubeConfig, repoRoot, up, waitForCrdsEstablished } from '@kaito-ts/cluster';
import { KubeClient, RestClient } from '@kaito-ts/controller-runtime';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { isInitialized, isNodeReady, NodeResource, nodeRequestClient, type NodeRequest } from '@kaito-ts/karpenter';
import { gpuNodeRequest } from '@kaito-ts/karpenter/testing';
import { type ArmCounters, formatGpuProvisionerReport, type GpuProvisionerBenchReport } from './gpu-provisioner-report.js';

const SETTINGS = defineSettings({
  claims: { flag: 'claims', codec: C.wholeNumber({ min: 1, max: 99, what: 'a number of claims from 1 to 99' }), default: '50', description: 'claims created at once', placeholder: 'N' },
  createDelayMs: { flag: 'create-delay', codec: C.duration, default: '5s', description: 'how long the simulator takes to create a pool', placeholder: 'DURATION' },
  deleteDelayMs: { flag: 'delete-delay', codec: C.duration, default: '2s', description: 'how long the simulator takes to delete a pool', placeholder: 'DURATION' },
  concurrency: { flag: 'concurrency', codec: C.wholeNumber({ min: 1, what: 'a positive number' }), default: '10', description: "the provisioner's reconciles at once (its default)", placeholder: 'N' },
  pollMs: { flag: 'poll', codec: C.duration, default: '200ms', description: 'how often the bench looks at Nodes and claims (the timing resolution)', placeholder: 'DURATION' },
  timeoutMs: { flag: 'timeout', codec: C.duration, default: '10m', description: 'give up waiting for a phase after this long', placeholder: 'DURATION' },
  json: { flag: 'json', kind: 'switch', codec: C.boolean, default: false, description: 'print the report as JSON' },
});

const INSTANCE_TYPE = 'Standard_NC24ads_A100_v4';
const RUN_LABEL = 'bench.kaito-ts.dev/run';

interface Endpoint {
  readonly url: string;
  readonly caPath: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly clusterName: string;
  readonly location: string;
  readonly tenantId: string;
  readonly clientId: string;
}

/** A child process whose output is drained (kept for an error message) and that resolves `ready` at a line. */
function child(args: readonly string[], env: NodeJS.ProcessEnv, readyWhen: (line: string) => boolean): { proc: ChildProcess; ready: Promise<string>; tail: () => string } {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const ready = new Promise<string>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (readyWhen(line)) resolve(line);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${args[0] ?? ''} exited with ${code ?? 'a signal'}:\n${tail}`)));
  });
  return { proc, ready, tail: () => tail };
}

function admin<T>(endpoint: Endpoint, ca: string, method: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint.url}${path}`, { method, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve((text === '' ? undefined : JSON.parse(text)) as T);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(what: string, timeoutMs: number, pollMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export async function gpuProvisionerBench(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseSettings(SETTINGS, argv, {});
  } catch (err) {
    if (!isSettingsError(err)) throw err;
    console.error(`bench gpu-provisioner: ${err.message}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(settingsHelp(SETTINGS, 'usage: npm run bench -- gpu-provisioner [flags]'));
    return;
  }
  const o = parsed.values;
  const root = repoRoot();
  const log = (line: string): void => {
    process.stderr.write(`bench: ${line}\n`);
  };

  const cluster = await up({ log });
  const kubeconfig = cluster.state.kubeconfig;
  const clients = kubeClientsFor(loadKubeConfig(kubeconfig));
  await applyPath(clients.kc, join(root, 'crds', 'nodeclaims.karpenter.sh.yaml'));
  await waitForCrdsEstablished(clients.apiext, ['nodeclaims.karpenter.sh']);

  const dir = await mkdtemp(join(tmpdir(), 'kaito-ts-bench-gpu-'));
  const tokenFile = join(dir, 'sa-token');
  await writeFile(tokenFile, `bench-projected-token-${Math.random().toString(36).slice(2)}`);
  const baseEnv = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };
  const run = Math.random().toString(36).slice(2, 8).replace(/^[0-9]/, 'a');
  const transport = new RestClient(loadKubeConfig(kubeconfig), { userAgent: 'bench-gpu-provisioner' });
  const kube = new KubeClient(transport, { fieldManager: 'bench-gpu-provisioner' });
  const claims = nodeRequestClient(kube, 'nodeclaim');
  const selector = `${RUN_LABEL}=${run}`;
  const started: ReturnType<typeof child>[] = [];
  try {
    const sim = child(
      [
        join(root, 'tools/arm-simulator/dist/main.js'),
        `--federated-token-file=${tokenFile}`,
        `--state-dir=${dir}`,
        `--create-delay=${o.createDelayMs}ms`,
        `--delete-delay=${o.deleteDelayMs}ms`,
        '--nodes=kube',
        `--kubeconfig=${kubeconfig}`,
        '--log-level=warn',
      ],
      baseEnv,
      (line) => line.startsWith('{"url"'),
    );
    started.push(sim);
    const endpoint = JSON.parse(await sim.ready) as Endpoint;
    const ca = await readFile(endpoint.caPath, 'utf8');
    const provisioner = child(
      [
        join(root, 'apps/gpu-provisioner/dist/main.js'),
        `--subscription=${endpoint.subscriptionId}`,
        `--resource-group=${endpoint.resourceGroup}`,
        `--cluster-name=${endpoint.clusterName}`,
        `--location=${endpoint.location}`,
        `--arm-endpoint=${endpoint.url}`,
        `--kubeconfig=${kubeconfig}`,
        `--selector=${selector}`,
        `--concurrency=${o.concurrency}`,
        '--leader-elect=false',
        '--metrics-port=off',
        '--health-port=off',
        '--log-format=json',
        '--log-level=info',
      ],
      {
        ...baseEnv,
        AZURE_CLIENT_ID: endpoint.clientId,
        AZURE_TENANT_ID: endpoint.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
        AZURE_AUTHORITY_HOST: `${endpoint.url}/`,
        NODE_EXTRA_CA_CERTS: endpoint.caPath,
      },
      (line) => line.includes('gpu provisioner started'),
    );
    started.push(provisioner);
    await provisioner.ready;
    log(`simulator at ${endpoint.url}; provisioner started; creating ${o.claims} claims`);

    const names = Array.from({ length: o.claims }, (_, i) => `bn${run}${String(i).padStart(2, '0')}`);
    const createdAt = new Map<string, number>();
    const nodeReadyAt = new Map<string, number>();
    const initializedAt = new Map<string, number>();
    await admin(endpoint, ca, 'DELETE', '/admin/requests');
    const t0 = Date.now();
    await Promise.all(
      names.map(async (name) => {
        await claims.create(gpuNodeRequest({ api: 'nodeclaim', name, instanceType: INSTANCE_TYPE, storage: '128Gi', labels: { [RUN_LABEL]: run } }));
        createdAt.set(name, Date.now());
      }),
    );
    // Pool name = claim name (a valid AKS pool name), so a Node's `agentpool` label names its claim.
    await until(`all ${o.claims} claims Initialized`, o.timeoutMs, o.pollMs, async () => {
      const now = Date.now();
      for (const n of await kube.list(NodeResource, { labelSelector: selector })) {
        const pool = n.metadata.labels?.['agentpool'] ?? '';
        if (isNodeReady(n) && !nodeReadyAt.has(pool)) nodeReadyAt.set(pool, now);
      }
      for (const r of await claims.list({ labelSelector: selector })) if (isInitialized(r) && !initializedAt.has(r.metadata.name)) initializedAt.set(r.metadata.name, now);
      return initializedAt.size === o.claims;
    });
    const allReadyMs = Date.now() - t0;
    const createCounters = (await admin<{ counters: ArmCounters }>(endpoint, ca, 'GET', '/admin/counters')).counters;
    log(`all Initialized after ${(allReadyMs / 1000).toFixed(1)} s; deleting`);

    await admin(endpoint, ca, 'DELETE', '/admin/requests');
    const t1 = Date.now();
    await Promise.all(names.map((name) => claims.delete(name)));
    await until('all claims and pools gone', o.timeoutMs, o.pollMs, async () => {
      const left: NodeRequest[] = await claims.list({ labelSelector: selector });
      const state = await admin<{ pools: unknown[] }>(endpoint, ca, 'GET', '/admin/state');
      return left.length === 0 && state.pools.length === 0;
    });
    const allGoneMs = Date.now() - t1;
    const deleteCounters = (await admin<{ counters: ArmCounters }>(endpoint, ca, 'GET', '/admin/counters')).counters;

    const report: GpuProvisionerBenchReport = {
      claims: o.claims,
      concurrency: o.concurrency,
      createDelayMs: o.createDelayMs,
      deleteDelayMs: o.deleteDelayMs,
      pollIntervalMs: o.pollMs,
      createCounters,
      deleteCounters,
      // A claim can be seen Initialized in the same look as its Node Ready: 0 at this resolution.
      nodeReadyToInitializedMs: names.map((n) => (initializedAt.get(n) ?? Number.NaN) - (nodeReadyAt.get(n) ?? initializedAt.get(n) ?? Number.NaN)),
      createToInitializedMs: names.map((n) => (initializedAt.get(n) ?? Number.NaN) - (createdAt.get(n) ?? t0)),
      allReadyMs,
      allGoneMs,
    };
    console.log(o.json ? JSON.stringify(report, null, 2) : formatGpuProvisionerReport(report));
  } finally {
    // After a failure: let the provisioner finalize what is left before it stops.
    for (const r of await claims.list({ labelSelector: selector }).catch(() => [])) await claims.delete(r.metadata.name).catch(() => undefined);
    await until('leftover claims gone', 60_000, 1_000, async () => (await claims.list({ labelSelector: selector })).length === 0).catch((err: unknown) => log(String(err)));
    for (const c of started.reverse()) {
      if (c.proc.exitCode === null) {
        const exited = new Promise((resolve) => c.proc.once('exit', resolve));
        c.proc.kill('SIGTERM');
        await exited;
      }
    }
    for (const n of await kube.list(NodeResource, { labelSelector: selector }).catch(() => [])) await kube.delete(NodeResource, { name: n.metadata.name }).catch(() => undefined);
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  }
}
