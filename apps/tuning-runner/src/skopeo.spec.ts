/**
 * The skopeo stand-in: its command line, and `copy docker://… dir:…` against Debian's real
 * docker-registry (htpasswd auth), with an adapter image pushed by this app's own pushAdapter,
 * unpacked afterwards the way Kaito's puller script does (`tar -xf` every blob).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryAuthError, RegistryError } from './errors.js';
import { loadCredentialsFile } from './oci/docker-config.js';
import { DIR_VERSION, pullToDir } from './oci/pull.js';
import { pushAdapter } from './oci/push.js';
import { parseImageRef } from './oci/reference.js';
import { isInsecure, parseCopy, UsageError } from './skopeo.js';
import { writeAdapter } from './testing/fixtures.js';
import { dockerConfigDir, startRegistry, type Registry } from './testing/processes.js';

describe('skopeo stand-in: command line', () => {
  it("parses the adapter puller's copy command", () => {
    expect(parseCopy(['copy', '--retry-times', '3', '--authfile', '/etc/kaito/pull-secrets/s/.dockerconfigjson', 'docker://127.0.0.1:5000/a/b@sha256:' + 'a'.repeat(64), 'dir:/tmp/x/image'])).toEqual({
      image: `127.0.0.1:5000/a/b@sha256:${'a'.repeat(64)}`,
      dir: '/tmp/x/image',
      authfile: '/etc/kaito/pull-secrets/s/.dockerconfigjson',
      retryTimes: 3,
      decompress: false,
    });
    expect(parseCopy(['copy', '--retry-times=2', '--src-tls-verify=false', '--dest-decompress', 'docker://r.io/a:1', 'dir:d'])).toMatchObject({ retryTimes: 2, tlsVerify: false, decompress: true });
  });

  it.each([
    [['inspect', 'docker://a'], 'only "copy" is supported by this stand-in, got "inspect"'],
    [[], 'only "copy" is supported by this stand-in, got no command'],
    [['copy', 'docker://a'], 'expected a source and a destination'],
    [['copy', 'oci:a', 'dir:b'], 'source "oci:a": only the docker:// transport is supported'],
    [['copy', 'docker://a', 'oci:b'], 'destination "oci:b": only the dir: transport is supported'],
    [['copy', '--all', 'docker://a', 'dir:b'], 'option --all is not supported by this stand-in'],
    [['copy', '--retry-times', 'x', 'docker://a', 'dir:b'], '--retry-times: expected a whole number, got "x"'],
    [['copy', '--src-tls-verify=maybe', 'docker://a', 'dir:b'], '--src-tls-verify: expected true or false, got "maybe"'],
    [['copy', 'docker://a', 'dir:b', '--authfile'], '--authfile: expected a value'],
  ])('refuses %j naming what is wrong', (argv, message) => {
    expect(() => parseCopy(argv)).toThrow(UsageError);
    expect(() => parseCopy(argv)).toThrow(message);
  });

  it('reaches loopback registries and the listed insecure ones over http, like Docker, and the rest over https', () => {
    expect(isInsecure(parseImageRef('127.0.0.1:5000/a:1'), undefined, [])).toBe(true);
    expect(isInsecure(parseImageRef('localhost:5000/a:1'), undefined, [])).toBe(true);
    expect(isInsecure(parseImageRef('myacr.azurecr.io/a:1'), undefined, [])).toBe(false);
    expect(isInsecure(parseImageRef('registry.lan:5000/a:1'), undefined, ['registry.lan:5000'])).toBe(true);
    expect(isInsecure(parseImageRef('127.0.0.1:5000/a:1'), true, [])).toBe(false);
    expect(isInsecure(parseImageRef('myacr.azurecr.io/a:1'), false, [])).toBe(true);
  });
});

describe('skopeo stand-in: copy docker:// → dir: against a real registry', () => {
  const USER = 'puller';
  const PASSWORD = 'pull-Pa55word';
  let registry: Registry;
  let work: string;
  let image: string;
  let digest: string;
  let authfile: string;

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
    work = await mkdtemp(join(tmpdir(), 'tr-skopeo-'));
    await writeAdapter(join(work, 'adapter'), { r: 4, targetModules: ['q_proj', 'v_proj'] });
    const config = await dockerConfigDir(registry.host, USER, PASSWORD);
    authfile = join(work, '.dockerconfigjson');
    await writeFile(authfile, await readFile(join(config, 'config.json')));
    image = `${registry.host}/adapters/tuned:0.0.1`;
    ({ digest } = await pushAdapter(join(work, 'adapter'), { image, dockerConfigDir: config, insecureRegistries: [registry.host], workDir: work }));
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("writes skopeo's dir layout, which Kaito's puller unpacks into data/ with the adapter files", async () => {
    const credentials = await loadCredentialsFile(authfile, registry.host);
    const dir = join(work, 'by-digest');
    const pulled = await pullToDir(parseImageRef(`${registry.host}/adapters/tuned@${digest}`), dir, { ...(credentials ? { credentials } : {}), insecure: true });
    expect(pulled.digest).toBe(digest);
    const manifest = await readFile(join(dir, 'manifest.json'));
    expect(`sha256:${createHash('sha256').update(manifest).digest('hex')}`).toBe(digest);
    expect(await readFile(join(dir, 'version'), 'utf8')).toBe(DIR_VERSION);
    const blobs = (await readdir(dir)).filter((f) => f !== 'manifest.json' && f !== 'version');
    expect(blobs.sort()).toEqual([...pulled.layers, (JSON.parse(manifest.toString()) as { config: { digest: string } }).config.digest].map((d) => d.slice('sha256:'.length)).sort());
    // the puller script: every blob through tar (the config, JSON, is refused), then data/
    const root = join(work, 'root');
    await mkdir(root);
    for (const blob of blobs) spawnSync('tar', ['-xf', join(dir, blob), '-C', root]);
    expect((await readdir(join(root, 'data'))).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(await readFile(join(root, 'data', 'adapter_config.json'))).toEqual(await readFile(join(work, 'adapter', 'adapter_config.json')));
  });

  it('pulls by tag too, and stores layers uncompressed with --dest-decompress', async () => {
    const credentials = await loadCredentialsFile(authfile, registry.host);
    const dir = join(work, 'by-tag');
    const pulled = await pullToDir(parseImageRef(image), dir, { ...(credentials ? { credentials } : {}), insecure: true, decompress: true });
    expect(pulled.digest).toBe(digest);
    const layer = await readFile(join(dir, pulled.layers[0]!.slice('sha256:'.length)));
    expect(layer.subarray(0, 2)).not.toEqual(Buffer.from([0x1f, 0x8b]));
    expect(layer.subarray(257, 262).toString()).toBe('ustar');
  });

  it('fails with the registry named when the credentials are wrong or absent, and when the image is not there', async () => {
    await expect(pullToDir(parseImageRef(image), join(work, 'anon'), { insecure: true, attempts: 1 })).rejects.toThrow(RegistryAuthError);
    await expect(pullToDir(parseImageRef(image), join(work, 'bad'), { credentials: { kind: 'basic', username: USER, password: 'wrong' }, insecure: true, attempts: 1 })).rejects.toThrow(
      `registry ${registry.host} rejected the credentials for user "${USER}"`,
    );
    const credentials = await loadCredentialsFile(authfile, registry.host);
    await expect(pullToDir(parseImageRef(`${registry.host}/adapters/missing:1`), join(work, 'missing'), { ...(credentials ? { credentials } : {}), insecure: true, attempts: 1 })).rejects.toThrow(RegistryError);
  });
});
