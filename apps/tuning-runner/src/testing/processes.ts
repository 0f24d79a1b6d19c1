/**
 * Real external processes for tests: Debian's docker-registry (htpasswd or token auth), a token
 * server whose JWTs that registry trusts, and the trainer venv's python. Missing tools fail
 * loudly with the setup command; they are never skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const SETUP_HINT = 'run apps/tuning-runner/scripts/setup-test-deps.sh (as root) first';

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function requireTool(bin: string): string {
  const path = which(bin);
  if (!path) throw new Error(`${bin} is not installed; ${SETUP_HINT}`);
  return path;
}

/** The trainer venv's python (TRAINER_PYTHON, else the setup script's venv). */
export function trainerPython(): string {
  const fromEnv = process.env.TRAINER_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = process.env.TUNING_VENV ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kaito-ts', 'venv-trainer');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) throw new Error(`trainer venv not found at ${venv}; ${SETUP_HINT}`);
  return python;
}

/** The kaito_trainer package's parent directory (apps/tuning-runner/trainer). */
export const TRAINER_DIR =
  typeof __dirname !== 'undefined' ? join(__dirname, '..', '..', 'trainer') : join(process.cwd(), 'apps', 'tuning-runner', 'trainer');

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForHttp(url: string, child: ChildProcess, logs: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ${url} answered:\n${logs()}`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${logs()}`);
}

export interface TokenServer {
  readonly url: string;
  readonly realm: string;
  readonly certPath: string;
  readonly requests: { authorization: string | undefined; scope: string | null; service: string | null }[];
  close(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * A distribution-style token server: `GET /token?service&scope` with Basic auth returns an RS256
 * JWT whose x5c header carries a self-signed cert; the registry's `auth.token.rootcertbundle`
 * is that cert, so the registry verifies the chain and the signature for real.
 */
export async function startTokenServer(options: { dir: string; username: string; password: string; issuer: string; service: string }): Promise<TokenServer> {
  const openssl = requireTool('openssl');
  const keyPath = join(options.dir, 'token.key');
  const certPath = join(options.dir, 'token.crt');
  const gen = spawnSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=kaito-test-token-issuer'], {
    encoding: 'utf8',
  });
  if (gen.status !== 0) throw new Error(`openssl failed: ${gen.stderr}`);
  const key = await readFile(keyPath, 'utf8');
  const certPem = await readFile(certPath, 'utf8');
  const certDer = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const requests: TokenServer['requests'] = [];
  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ authorization: req.headers.authorization, scope: url.searchParams.get('scope'), service: url.searchParams.get('service') });
    const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    if (url.pathname !== '/token' || req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'invalid credentials' }));
      return;
    }
    const scope = url.searchParams.get('scope') ?? '';
    const access = scope
      .split(' ')
      .filter(Boolean)
      .map((s) => {
        const [type, name, actions] = s.split(':');
        return { type, name, actions: (actions ?? '').split(',') };
      });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: options.issuer, sub: options.username, aud: options.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return { url, realm: `${url}/token`, certPath, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface Registry {
  /** host:port */
  readonly host: string;
  readonly dir: string;
  readonly token?: TokenServer;
  logs(): string;
  stop(): Promise<void>;
}

export type RegistryAuth = { kind: 'none' } | { kind: 'htpasswd'; username: string; password: string } | { kind: 'token'; username: string; password: string };

/** Starts Debian's docker-registry on a free 127.0.0.1 port with the given auth; `stop()` kills it by PID. */
export async function startRegistry(auth: RegistryAuth): Promise<Registry> {
  const bin = requireTool('docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'tr-registry-'));
  let authYaml = '';
  let token: TokenServer | undefined;
  if (auth.kind === 'htpasswd') {
    const htpasswd = requireTool('htpasswd');
    const r = spawnSync(htpasswd, ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    await writeFile(join(dir, 'htpasswd'), r.stdout);
    authYaml = `auth: {htpasswd: {realm: basic-realm, path: ${join(dir, 'htpasswd')}}}`;
  } else if (auth.kind === 'token') {
    token = await startTokenServer({ dir, username: auth.username, password: auth.password, issuer: 'kaito-test-issuer', service: 'kaito-test-registry' });
    authYaml = `auth: {token: {realm: "${token.realm}", service: kaito-test-registry, issuer: kaito-test-issuer, rootcertbundle: ${token.certPath}}}`;
  }
  // The free port may be taken again between probing and binding (parallel jest workers): retry.
  let child: ChildProcess;
  let output = '';
  let host = '';
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: info, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: 127.0.0.1:${port}, secret: test-only-secret}`,
      authYaml,
    ].join('\n');
    await writeFile(join(dir, 'config.yml'), config + '\n');
    child = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    host = `127.0.0.1:${port}`;
    try {
      await waitForHttp(`http://${host}/v2/`, child, () => output);
      break;
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(output)) {
        child.kill('SIGKILL');
        throw err;
      }
    }
  }
  const started = child;
  return {
    host,
    dir,
    ...(token ? { token } : {}),
    logs: () => output,
    async stop() {
      if (started.exitCode === null) {
        const exited = new Promise((r) => started.once('exit', r));
        started.kill('SIGTERM');
        await exited;
      }
      await token?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A DOCKER_CONFIG directory holding config.json with `auths[host]`. */
export async function dockerConfigDir(host: string, username: string, password: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tr-docker-'));
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }));
  return dir;
}
