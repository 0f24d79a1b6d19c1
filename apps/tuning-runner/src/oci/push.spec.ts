/**
 * Pushes against Debian's real docker-registry (2.8), started per suite on a free 127.0.0.1
 * port: htpasswd (Basic) auth, and token auth with a local token server whose signed JWTs the
 * registry verifies against its rootcertbundle. Each push is pulled back by digest and unpacked.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { RegistryAuthError, RegistryError } from '../errors.js';
import { createLogger } from '../logger.js';
import { writeAdapter } from '../testing/fixtures.js';
import { dockerConfigDir, startRegistry, type Registry } from '../testing/processes.js';
import { MediaTypes, MODEL_NAME_ANNOTATION, pushAdapter } from './push.js';
import { parseImageRef } from './reference.js';
import { RegistryClient } from './registry.js';
import { listTar } from './tar.js';

const USER = 'tester';
const PASSWORD = 's3cret-Pa55word';

let work: string;
let adapter: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tr-push-'));
  adapter = join(work, 'adapter');
  await writeAdapter(adapter, { r: 4, targetModules: ['q_proj', 'v_proj'] });
});
afterAll(() => rm(work, { recursive: true, force: true }));

function capturingLogger(): { log: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { log: createLogger({ format: 'json', level: 'debug', stream }), text: () => text };
}

/** Pulls `image@digest` back and returns the manifest, config and unpacked layer. */
async function pullBack(host: string, repository: string, digest: string, configDir: string): Promise<{
  manifest: { layers: { mediaType: string; digest: string }[]; config: { digest: string }; annotations?: Record<string, string> };
  config: { rootfs: { diff_ids: string[] } };
  files: { name: string; type: string; data: Buffer }[];
  tarDigest: string;
}> {
  const { loadCredentials } = await import('./docker-config.js');
  const credentials = await loadCredentials(configDir, host);
  const client = new RegistryClient(parseImageRef(`${host}/${repository}@${digest}`), { insecure: true, ...(credentials ? { credentials } : {}) });
  const m = await client.getManifest(digest, MediaTypes.manifest);
  expect(`sha256:${createHash('sha256').update(m.body).digest('hex')}`).toBe(digest);
  const manifest = JSON.parse(m.body.toString()) as Awaited<ReturnType<typeof pullBack>>['manifest'];
  const config = JSON.parse((await client.getBlob(manifest.config.digest)).toString()) as Awaited<ReturnType<typeof pullBack>>['config'];
  const layer = await client.getBlob(manifest.layers[0]!.digest);
  expect(`sha256:${createHash('sha256').update(layer).digest('hex')}`).toBe(manifest.layers[0]!.digest);
  const tar = gunzipSync(layer);
  return { manifest, config, files: listTar(tar), tarDigest: `sha256:${createHash('sha256').update(tar).digest('hex')}` };
}

describe('push to a registry with htpasswd auth', () => {
  let registry: Registry;
  let configDir: string;
  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
    configDir = await dockerConfigDir(registry.host, USER, PASSWORD);
  });
  afterAll(async () => {
    await registry.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('pushes the adapter in Kaito layout and it pulls back intact by digest', async () => {
    const result = await pushAdapter(adapter, {
      image: `${registry.host}/adapters/phi-3-tuned:0.0.1`,
      modelName: 'phi-3-mini-128k-instruct',
      dockerConfigDir: configDir,
      insecureRegistries: [registry.host],
      workDir: work,
    });
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const pulled = await pullBack(registry.host, 'adapters/phi-3-tuned', result.digest, configDir);
    expect(pulled.manifest.annotations).toEqual({ [MODEL_NAME_ANNOTATION]: 'phi-3-mini-128k-instruct' });
    expect(pulled.manifest.layers.map((l) => l.mediaType)).toEqual([MediaTypes.layer]);
    expect(pulled.config.rootfs.diff_ids).toEqual([pulled.tarDigest]);
    expect(pulled.files.map((f) => [f.name, f.type])).toEqual([
      ['data/', 'dir'],
      ['data/adapter_config.json', 'file'],
      ['data/adapter_model.safetensors', 'file'],
    ]);
    expect(pulled.files[1]?.data).toEqual(await readFile(join(adapter, 'adapter_config.json')));
    expect(pulled.files[2]?.data).toEqual(await readFile(join(adapter, 'adapter_model.safetensors')));
  });

  it('gives the same digest when the same adapter is pushed again', async () => {
    const options = { dockerConfigDir: configDir, insecureRegistries: [registry.host], workDir: work };
    const first = await pushAdapter(adapter, { ...options, image: `${registry.host}/adapters/again:1` });
    const second = await pushAdapter(adapter, { ...options, image: `${registry.host}/adapters/again:1` });
    expect(second.digest).toBe(first.digest);
  });

  it('fails with PushUnauthorized and a clear message on a wrong password', async () => {
    const wrong = await dockerConfigDir(registry.host, USER, 'not-the-password');
    try {
      const err = await pushAdapter(adapter, { image: `${registry.host}/adapters/x:1`, dockerConfigDir: wrong, insecureRegistries: [registry.host], workDir: work }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RegistryAuthError);
      expect((err as RegistryAuthError).code).toBe('PushUnauthorized');
      expect((err as Error).message).toBe(`registry ${registry.host} rejected the credentials for user "tester" (HTTP 401); check the image push secret`);
    } finally {
      await rm(wrong, { recursive: true, force: true });
    }
  });

  it('fails with PushUnauthorized when the docker config has no credentials for the registry', async () => {
    const other = await dockerConfigDir('other.example.com', USER, PASSWORD);
    try {
      await expect(
        pushAdapter(adapter, { image: `${registry.host}/adapters/x:1`, dockerConfigDir: other, insecureRegistries: [registry.host], workDir: work }),
      ).rejects.toThrow(`registry ${registry.host} requires a username and password; the docker config has none for it`);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('uses https unless the registry is marked insecure', async () => {
    const err = await pushAdapter(adapter, { image: `${registry.host}/adapters/x:1`, dockerConfigDir: configDir, workDir: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toMatch(
      new RegExp(`^reach the registry at ${registry.host.replace(/\./g, '\\.')}: fetch failed: .*\\(if this registry serves plain http, list it in INSECURE_REGISTRIES\\)$`),
    );
  });

  it('never writes the password or the Basic header to the log', async () => {
    const { log, text } = capturingLogger();
    await pushAdapter(adapter, {
      image: `${registry.host}/adapters/logged:1`,
      dockerConfigDir: configDir,
      insecureRegistries: [registry.host],
      workDir: work,
      log,
    });
    log.error('registry said', { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` });
    log.error(`echoed header Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(text()).toContain('adapter pushed');
    expect(text()).not.toContain(PASSWORD);
    expect(text()).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });
});

describe('push to a registry with token auth', () => {
  let registry: Registry;
  let configDir: string;
  beforeAll(async () => {
    registry = await startRegistry({ kind: 'token', username: USER, password: PASSWORD });
    configDir = await dockerConfigDir(registry.host, USER, PASSWORD);
  });
  afterAll(async () => {
    await registry.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('gets a Bearer token for the repository scope and pushes', async () => {
    const result = await pushAdapter(adapter, {
      image: `${registry.host}/team/adapter:v1`,
      modelName: 'falcon-7b',
      dockerConfigDir: configDir,
      insecureRegistries: [registry.host],
      workDir: work,
    });
    expect(registry.token?.requests.map((r) => r.scope)).toContain('repository:team/adapter:pull,push');
    expect(registry.token?.requests.every((r) => r.service === 'kaito-test-registry')).toBe(true);
    const pulled = await pullBack(registry.host, 'team/adapter', result.digest, configDir);
    expect(pulled.manifest.annotations).toEqual({ [MODEL_NAME_ANNOTATION]: 'falcon-7b' });
    expect(pulled.files.map((f) => f.name)).toEqual(['data/', 'data/adapter_config.json', 'data/adapter_model.safetensors']);
  });

  it('fails with PushUnauthorized when the token server refuses the credentials', async () => {
    const wrong = await dockerConfigDir(registry.host, USER, 'wrong');
    try {
      const err = await pushAdapter(adapter, { image: `${registry.host}/team/adapter:v2`, dockerConfigDir: wrong, insecureRegistries: [registry.host], workDir: work }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RegistryAuthError);
      expect((err as Error).message).toBe(
        `registry ${registry.host} rejected the credentials for user "tester" (HTTP 401): token server ${registry.token?.realm} refused; check the image push secret`,
      );
    } finally {
      await rm(wrong, { recursive: true, force: true });
    }
  });

  it('is refused by the registry itself when the token has no access to the repository', async () => {
    // A registry-token credential is sent as-is: a syntactically valid but unsigned token.
    const { writeFile, mkdtemp: mk } = await import('node:fs/promises');
    const d = await mk(join(tmpdir(), 'tr-docker-'));
    await writeFile(join(d, 'config.json'), JSON.stringify({ auths: { [registry.host]: { registrytoken: 'e30.e30.c2ln' } } }));
    try {
      const err = await pushAdapter(adapter, { image: `${registry.host}/team/adapter:v3`, dockerConfigDir: d, insecureRegistries: [registry.host], workDir: work }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RegistryAuthError);
      expect((err as Error).message).toMatch(new RegExp(`^registry ${registry.host.replace(/\./g, '\\.')} rejected the credentials \\(HTTP 401\\)`));
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
