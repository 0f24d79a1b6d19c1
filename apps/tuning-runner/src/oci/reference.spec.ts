import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryAuthError } from '../errors.js';
import { loadCredentials } from './docker-config.js';
import { parseImageRef } from './reference.js';
import { parseChallenge } from './registry.js';

describe('parseImageRef', () => {
  it.each([
    ['myacr.azurecr.io/adapters/phi-3:0.0.1', { registry: 'myacr.azurecr.io', apiHost: 'myacr.azurecr.io', repository: 'adapters/phi-3', tag: '0.0.1' }],
    ['127.0.0.1:5000/a/b', { registry: '127.0.0.1:5000', repository: 'a/b', tag: 'latest' }],
    ['localhost/a', { registry: 'localhost', repository: 'a', tag: 'latest' }],
    ['adapter:v1', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/adapter', tag: 'v1' }],
    ['me/adapter', { registry: 'docker.io', repository: 'me/adapter', tag: 'latest' }],
    [`r.io/a@sha256:${'a'.repeat(64)}`, { registry: 'r.io', repository: 'a', digest: `sha256:${'a'.repeat(64)}` }],
  ])('parses %s', (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected);
  });

  it('rejects an upper-case repository', () => {
    expect(() => parseImageRef('r.io/Adapters:1')).toThrow('invalid image reference "r.io/Adapters:1": bad repository name "Adapters"');
  });
});

describe('parseChallenge', () => {
  it('reads the realm, service and scope of a Bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' },
    });
  });

  it('reads a Basic challenge', () => {
    expect(parseChallenge('Basic realm="basic-realm"')).toEqual({ scheme: 'basic', params: { realm: 'basic-realm' } });
  });
});

describe('loadCredentials', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tr-dockercfg-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const config = (doc: object): Promise<void> => writeFile(join(dir, 'config.json'), JSON.stringify(doc));

  it('decodes the base64 auth of a matching host', async () => {
    await config({ auths: { 'myacr.azurecr.io': { auth: Buffer.from('user:pa:ss').toString('base64') } } });
    expect(await loadCredentials(dir, 'myacr.azurecr.io')).toEqual({ kind: 'basic', username: 'user', password: 'pa:ss' });
  });

  it('matches a key written as an https URL', async () => {
    await config({ auths: { 'https://myacr.azurecr.io/v1/': { username: 'u', password: 'p' } } });
    expect(await loadCredentials(dir, 'myacr.azurecr.io')).toEqual({ kind: 'basic', username: 'u', password: 'p' });
  });

  it("finds Docker Hub's legacy key", async () => {
    await config({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('u:p').toString('base64') } } });
    expect(await loadCredentials(dir, 'docker.io')).toEqual({ kind: 'basic', username: 'u', password: 'p' });
  });

  it('returns an identity token (ACR refresh token)', async () => {
    await config({ auths: { 'a.azurecr.io': { username: '00000000-0000-0000-0000-000000000000', identitytoken: 'refresh' } } });
    expect(await loadCredentials(dir, 'a.azurecr.io')).toEqual({ kind: 'identity-token', username: '00000000-0000-0000-0000-000000000000', token: 'refresh' });
  });

  it('returns nothing for another host', async () => {
    await config({ auths: { 'other.io': { username: 'u', password: 'p' } } });
    expect(await loadCredentials(dir, 'myacr.azurecr.io')).toBeUndefined();
  });

  it('returns nothing when there is no config.json', async () => {
    expect(await loadCredentials(dir, 'r.io')).toBeUndefined();
  });

  it('refuses a config that only names a credential helper', async () => {
    await config({ credHelpers: { 'r.io': 'acr-env' } });
    await expect(loadCredentials(dir, 'r.io')).rejects.toThrow(RegistryAuthError);
    await expect(loadCredentials(dir, 'r.io')).rejects.toThrow(
      `${join(dir, 'config.json')} delegates r.io to the credential helper "acr-env", which the tuning image cannot run; use a kubernetes.io/dockerconfigjson secret with auths`,
    );
  });
});
