/**
 * A real container registry for the tuning runs: Debian's `docker-registry` (the distribution
 * registry) on 127.0.0.1 with htpasswd basic auth, as its own process, and what a test needs of
 * it: a `kubernetes.io/dockerconfigjson` Secret for it, and a manifest fetched back by digest.
 * Missing tools fail loudly with the setup command (apps/tuning-runner/scripts/setup-test-deps.sh).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@kaito-ts/core/testing';

const SETUP = 'run apps/tuning-runner/scripts/setup-test-deps.sh (as root) once';

export interface Registry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly username: string;
  readonly password: string;
  /** The docker-registry process (the demo records it, to stop a crashed run's leftovers). */
  readonly pid: number | undefined;
  /** The Secret's `.dockerconfigjson` for these credentials (or `password` instead). */
  dockerConfigJson(password?: string): string;
  /** The manifest of `repository@digest` (raw bytes' sha256 checked by the caller), or the HTTP status. */
  manifest(repository: string, reference: string): Promise<{ status: number; digest: string | undefined; body: string }>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRegistry(username: string, password: string): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-registry-'));
  const htpasswd = spawnSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' });
  if (htpasswd.error !== undefined || htpasswd.status !== 0) throw new Error(`htpasswd failed (${htpasswd.error?.message ?? htpasswd.stderr}); ${SETUP}`);
  writeFileSync(join(dir, 'htpasswd'), htpasswd.stdout);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}}`,
      `http: {addr: ${host}, secret: e2e-only-secret}`,
      `auth: {htpasswd: {realm: e2e, path: ${join(dir, 'htpasswd')}}}`,
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', (err) => (output += `\n${err.message}; ${SETUP}`));
  await eventually(
    async () => {
      if (child.exitCode !== null || child.pid === undefined) throw new Error(`docker-registry exited: ${output}`);
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      return res.status === 401;
    },
    { timeoutMs: 15_000, intervalMs: 100, description: `docker-registry on ${host}` },
  );
  const basic = (p: string): string => Buffer.from(`${username}:${p}`).toString('base64');
  return {
    host,
    username,
    password,
    pid: child.pid,
    dockerConfigJson: (p = password) => JSON.stringify({ auths: { [host]: { auth: basic(p) } } }),
    async manifest(repository, reference) {
      const res = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
        headers: { authorization: `Basic ${basic(password)}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      return { status: res.status, digest: res.headers.get('docker-content-digest') ?? undefined, body: await res.text() };
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
