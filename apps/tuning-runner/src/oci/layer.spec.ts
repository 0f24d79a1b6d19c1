import { randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeAdapter } from '../testing/fixtures.js';
import { buildAdapterLayer, chooseGzipLevel } from './push.js';
import { listTar } from './tar.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-layer-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('buildAdapterLayer', () => {
  it('holds data/ with the two adapter files, owned by root with mtime 0', async () => {
    await writeAdapter(join(dir, 'a'));
    const layer = await buildAdapterLayer(join(dir, 'a'), dir);
    const entries = listTar(gunzipSync(await readFile(layer.path)));
    expect(entries.map((e) => [e.name, e.type, e.mode])).toEqual([
      ['data/', 'dir', 0o755],
      ['data/adapter_config.json', 'file', 0o644],
      ['data/adapter_model.safetensors', 'file', 0o644],
    ]);
  });

  it('gives the same digests for the same files', async () => {
    await writeAdapter(join(dir, 'a'));
    const first = await buildAdapterLayer(join(dir, 'a'), dir);
    const second = await buildAdapterLayer(join(dir, 'a'), dir);
    expect([second.digest, second.diffId]).toEqual([first.digest, first.diffId]);
  });
});

describe('chooseGzipLevel', () => {
  it('compresses weights that shrink', async () => {
    await writeFile(join(dir, 'w'), Buffer.alloc(1 << 20));
    expect(await chooseGzipLevel(join(dir, 'w'))).toBe(1);
  });

  it('stores weights that do not shrink', async () => {
    await writeFile(join(dir, 'w'), randomFillSync(Buffer.alloc(1 << 20)));
    expect(await chooseGzipLevel(join(dir, 'w'))).toBe(0);
  });
});
