import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath, CLUSTER_BINARIES } from './binaries.js';
import { type ClusterState, down, runningCluster, up } from './cluster.js';
import { COMPONENTS } from './kwokctl-config.js';
import { clusterPaths } from './paths.js';
import { versions } from './versions.js';

/** A cache root of our own, so nothing here touches a real cluster. */
function tempCache(): { env: NodeJS.ProcessEnv; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'kaito-ts-cluster-spec-'));
  return { root, env: { ...process.env, KAITO_TS_CACHE: root, KAITO_TS_CLUSTER: '' } };
}

describe('runningCluster', () => {
  let cache: { env: NodeJS.ProcessEnv; root: string };
  let server: Server;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    cache = tempCache();
    server = createServer((req, res) => {
      res.writeHead(req.url === '/readyz' ? 200 : 404);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await new Promise((r) => server.close(r));
    rmSync(cache.root, { recursive: true, force: true });
  });

  /** A cluster whose /readyz answers 200 and whose components are processes running a binary from the cache. */
  function fakeCluster(overrides: Partial<ClusterState> = {}): ClusterState {
    const paths = clusterPaths('spec', cache.env);
    const fakeBinary = join(paths.binDir, 'fake-v0', 'sleep');
    mkdirSync(join(fakeBinary, '..'), { recursive: true });
    copyFileSync('/bin/sleep', fakeBinary);
    chmodSync(fakeBinary, 0o755);
    const pids: Record<string, number> = {};
    mkdirSync(join(paths.kwokClusterDir, 'pids'), { recursive: true });
    for (const component of COMPONENTS) {
      const child = spawn(fakeBinary, ['60'], { stdio: 'ignore' });
      children.push(child);
      pids[component] = child.pid ?? 0;
      writeFileSync(join(paths.kwokClusterDir, 'pids', `${component}.pid`), String(child.pid));
    }
    const port = (server.address() as AddressInfo).port;
    writeFileSync(
      paths.kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: spec, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: spec, user: {} }]
contexts: [{ name: spec, context: { cluster: spec, user: spec } }]
current-context: spec
`,
    );
    const state: ClusterState = {
      name: 'spec',
      kubeconfig: paths.kubeconfig,
      server: `http://127.0.0.1:${port}`,
      startedAt: new Date().toISOString(),
      versions: versions(),
      pids,
      ...overrides,
    };
    mkdirSync(paths.stateDir, { recursive: true });
    writeFileSync(paths.stateFile, JSON.stringify(state));
    return state;
  }

  it('reuses a ready cluster whose components all run', async () => {
    fakeCluster();
    await expect(runningCluster({ name: 'spec', env: cache.env })).resolves.toMatchObject({ name: 'spec' });
  });

  it('does not reuse a cluster one of whose components died, though /readyz answers 200', async () => {
    const state = fakeCluster();
    const kwok = children[COMPONENTS.indexOf('kwok-controller')];
    const exited = new Promise((r) => kwok?.once('exit', r));
    process.kill(state.pids['kwok-controller'] ?? 0, 'SIGKILL');
    await exited;
    await expect(runningCluster({ name: 'spec', env: cache.env })).resolves.toBeUndefined();
  });

  it('does not reuse a cluster started from other binaries than the pinned ones', async () => {
    fakeCluster({ versions: { ...versions(), kube: 'v1.33.0' } });
    await expect(runningCluster({ name: 'spec', env: cache.env })).resolves.toBeUndefined();
  });
});

describe('up', () => {
  let cache: { env: NodeJS.ProcessEnv; root: string };

  beforeEach(() => {
    cache = tempCache();
  });

  afterEach(() => {
    rmSync(cache.root, { recursive: true, force: true });
  });

  it('never runs two `kwokctl create` at once, even for clusters of different names (kwokctl picks ports by probing from 32766 down)', async () => {
    const paths = clusterPaths('a', cache.env);
    const trace = join(cache.root, 'trace.log');
    for (const name of CLUSTER_BINARIES) {
      const bin = binaryPath(paths, name);
      mkdirSync(join(bin, '..'), { recursive: true });
      // A kwokctl that takes a second to "create" and then fails, so up cleans up and rejects.
      writeFileSync(bin, `#!/bin/sh\ncase "$*" in *create*) echo "start $2" >> ${trace}; sleep 1; echo "end $2" >> ${trace}; exit 1;; esac\nexit 0\n`);
      chmodSync(bin, 0o755);
    }
    const quiet = { env: cache.env, log: () => undefined };
    const results = await Promise.allSettled([up({ ...quiet, name: 'a' }), up({ ...quiet, name: 'b' })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    // Each create ends before the next starts.
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);
  });
});

describe('the up/down lock', () => {
  let cache: { env: NodeJS.ProcessEnv; root: string };

  beforeEach(() => {
    cache = tempCache();
  });

  afterEach(() => {
    rmSync(cache.root, { recursive: true, force: true });
  });

  it('is not taken over while its owner has created it but not yet written its pid', async () => {
    const paths = clusterPaths('spec', cache.env);
    mkdirSync(join(paths.lockFile, '..'), { recursive: true });
    writeFileSync(paths.lockFile, '');
    let finished = false;
    const stopping = down({ name: 'spec', env: cache.env, log: () => undefined }).then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(finished).toBe(false);
    unlinkSync(paths.lockFile);
    await stopping;
    expect(existsSync(paths.lockFile)).toBe(false);
  });
});
