import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type * as https from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { isDecodeError } from '@kaito-ts/core';
import { KubeConfigError, loadKubeConfig } from './kubeconfig.js';

let dir: string;
const savedKubeconfig = process.env['KUBECONFIG'];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-spec-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
  else process.env['KUBECONFIG'] = savedKubeconfig;
  jest.restoreAllMocks();
});

/** Writes a kubeconfig with one context `ctx` → cluster `c`, user `u`; returns its path. */
function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown> | null, extra: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
      ...extra,
    }),
  );
  return path;
}

async function optionsOf(path?: string): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  await loadKubeConfig(path).applyToHTTPSOptions(opts);
  return opts;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('loadKubeConfig', () => {
  it('reads the server without its trailing slash, and a bearer token', async () => {
    const path = kubeconfig('config', { server: 'https://api.example:6443/' }, { token: 'tok-1' });
    expect(loadKubeConfig(path).getCurrentCluster()).toEqual({ server: 'https://api.example:6443' });
    expect((await optionsOf(path)).headers).toEqual({ Authorization: 'Bearer tok-1' });
  });

  it('reads certificates given inline and as files relative to the kubeconfig', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT-FROM-FILE');
    const path = kubeconfig(
      'config',
      { server: 'https://api.example', 'certificate-authority-data': b64('CA-DATA'), 'tls-server-name': 'kubernetes' },
      { 'client-certificate': 'client.crt', 'client-key-data': b64('KEY-DATA') },
    );
    const opts = await optionsOf(path);
    expect(opts.ca?.toString()).toBe('CA-DATA');
    expect(opts.cert?.toString()).toBe('CERT-FROM-FILE');
    expect(opts.key?.toString()).toBe('KEY-DATA');
    expect(opts.servername).toBe('kubernetes');
    expect(opts.rejectUnauthorized).toBeUndefined();
  });

  it('turns verification off only when insecure-skip-tls-verify says so', async () => {
    const path = kubeconfig('config', { server: 'https://api.example', 'insecure-skip-tls-verify': true }, { token: 't' });
    expect((await optionsOf(path)).rejectUnauthorized).toBe(false);
  });

  it('sends impersonation headers and basic auth', async () => {
    const path = kubeconfig('config', { server: 'https://api.example' }, { username: 'admin', password: 'pw', as: 'system:serviceaccount:ns:sa', 'as-groups': ['g1', 'g2'] });
    const opts = await optionsOf(path);
    expect(opts.auth).toBe('admin:pw');
    expect(opts.headers).toEqual({ 'Impersonate-User': 'system:serviceaccount:ns:sa', 'Impersonate-Group': ['g1', 'g2'] });
  });

  it('re-reads a token file once it is older than 60 s (rotated ServiceAccount tokens)', async () => {
    writeFileSync(join(dir, 'token'), 'first\n');
    const kc = loadKubeConfig(kubeconfig('config', { server: 'https://api.example' }, { tokenFile: 'token' }));
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const bearer = async (): Promise<unknown> => {
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      return (opts.headers as Record<string, unknown>)['Authorization'];
    };
    expect(await bearer()).toBe('Bearer first');
    writeFileSync(join(dir, 'token'), 'second\n');
    now += 59_000;
    expect(await bearer()).toBe('Bearer first');
    now += 2_000;
    expect(await bearer()).toBe('Bearer second');
  });

  it('merges the files of $KUBECONFIG, the first one naming the current context', async () => {
    const first = join(dir, 'a');
    writeFileSync(first, stringify({ 'current-context': 'two' }));
    const second = kubeconfig('b', { server: 'https://one.example' }, { token: 'one' }, {
      clusters: [{ name: 'c', cluster: { server: 'https://one.example' } }, { name: 'c2', cluster: { server: 'https://two.example' } }],
      users: [{ name: 'u', user: { token: 'one' } }, { name: 'u2', user: { token: 'two' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }, { name: 'two', context: { cluster: 'c2', user: 'u2' } }],
      'current-context': 'ctx',
    });
    process.env['KUBECONFIG'] = [first, second].join(delimiter);
    const kc = loadKubeConfig();
    expect(kc.getCurrentCluster()?.server).toBe('https://two.example');
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    expect(opts.headers).toEqual({ Authorization: 'Bearer two' });
  });

  it('hands an exec plugin to client-node, which runs it for the token', async () => {
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } });
    const path = kubeconfig(
      'config',
      { server: 'https://api.example' },
      { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', `console.log(${JSON.stringify(credential)})`], interactiveMode: 'Never' } },
    );
    expect((await optionsOf(path)).headers).toMatchObject({ Authorization: 'Bearer from-exec' });
  });

  it('reads a kubeconfig written by client-node\'s exportConfig as client-node does', async () => {
    const written = new KubeConfig();
    written.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://api.example:6443', caData: b64('CA'), skipTLSVerify: false }],
      users: [{ name: 'u', certData: b64('CERT'), keyData: b64('KEY'), impersonateUser: 'system:serviceaccount:ns:sa' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    const path = join(dir, 'exported');
    writeFileSync(path, written.exportConfig());
    const theirs = new KubeConfig();
    theirs.loadFromFile(path);
    const expected: https.RequestOptions = {};
    await theirs.applyToHTTPSOptions(expected);
    const ours = await optionsOf(path);
    expect({ ca: ours.ca?.toString(), cert: ours.cert?.toString(), key: ours.key?.toString(), headers: ours.headers }).toEqual({
      ca: expected.ca?.toString(),
      cert: expected.cert?.toString(),
      key: expected.key?.toString(),
      headers: expected.headers,
    });
    expect(ours.headers).toEqual({ 'Impersonate-User': 'system:serviceaccount:ns:sa' });
  });

  it('reads null fields as absent', async () => {
    const path = kubeconfig('config', { server: 'https://api.example', 'certificate-authority-data': null, 'proxy-url': null }, { token: 't', 'auth-provider': null, exec: null, as: null });
    const opts = await optionsOf(path);
    expect(opts.headers).toEqual({ Authorization: 'Bearer t' });
    expect(opts.ca).toBeUndefined();
  });

  it.each([
    ['no current context', { 'current-context': '' }, /current-context is not set/],
    ['a current context it lacks', { 'current-context': 'other' }, /current-context "other" is not among its contexts/],
    ['a context naming a missing cluster', { contexts: [{ name: 'ctx', context: { cluster: 'nope', user: 'u' } }] }, /names cluster "nope", which is not among its clusters/],
  ])('refuses a kubeconfig with %s', (_name, extra, message) => {
    const path = kubeconfig('config', { server: 'https://api.example' }, { token: 't' }, extra);
    expect(() => loadKubeConfig(path)).toThrow(KubeConfigError);
    expect(() => loadKubeConfig(path)).toThrow(message);
  });

  it('names the field when a kubeconfig is malformed', () => {
    const path = kubeconfig('config', { 'certificate-authority': '/ca.crt' }, { token: 't' });
    let caught: unknown;
    try {
      loadKubeConfig(path);
    } catch (err) {
      caught = err;
    }
    expect(isDecodeError(caught)).toBe(true);
    expect((caught as Error).message).toContain('clusters[0].cluster.server');
    expect((caught as Error).message).toContain(path);
  });

  it('says which file it cannot read', () => {
    expect(() => loadKubeConfig(join(dir, 'missing'))).toThrow(/kubeconfig .*missing: cannot read it/);
  });
});
