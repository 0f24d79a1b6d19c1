import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getModel } from '@kaito-ts/presets';
import { adapterPodParts, adapterProblems, type Adapter } from './adapters.js';

const image = (name: string, strength?: string): Adapter => ({ source: { name, image: `example.com/${name}:1` }, ...(strength !== undefined ? { strength } : {}) });
const phi = getModel('phi-3-mini-4k-instruct');
const noLoRA = { name: 'no-lora-model', vllm: { allowLoRA: false } };

describe('adapterProblems', () => {
  it.each<[string, Adapter[], Parameters<typeof adapterProblems>[1], string[]]>([
    ['adapters without strength on vLLM', [image('a'), image('b')], { model: phi, runtime: 'vllm' }, []],
    ['a strength in range on transformers', [image('a', '0.5'), image('b', '1'), image('c', '0'), image('d', '1.0')], { model: phi, runtime: 'transformers' }, []],
    ['a strength on vLLM', [image('a', '0.5')], { model: phi, runtime: 'vllm' }, ['inference.adapters[0].strength: vLLM does not weight adapters; remove strength from "a", or serve with the transformers runtime (annotation kaito.sh/runtime: transformers)']],
    ['a strength above 1', [image('a'), image('b', '1.5')], { model: phi, runtime: 'transformers' }, ['inference.adapters[1].strength: expected a number between 0 and 1, got "1.5" (e.g. "0.5")']],
    ['a strength that is not a number', [image('a', 'strong')], { model: phi, runtime: 'transformers' }, ['inference.adapters[0].strength: expected a number between 0 and 1, got "strong" (e.g. "0.5")']],
    ['a negative strength', [image('a', '-0.1')], { model: phi, runtime: 'transformers' }, ['inference.adapters[0].strength: expected a number between 0 and 1, got "-0.1" (e.g. "0.5")']],
    ['any adapter on a model vLLM cannot serve LoRA for', [image('a')], { model: noLoRA, runtime: 'vllm' }, ['inference.adapters: no-lora-model does not accept LoRA adapters on vLLM; remove the adapters or choose another preset']],
    ['no adapter on that model', [], { model: noLoRA, runtime: 'vllm' }, []],
  ])('finds %s', (_name, adapters, target, want) => {
    expect(adapterProblems(adapters, target).map((p) => `${p.field}: ${p.message}`)).toEqual(want);
  });
});

describe('adapterPodParts', () => {
  it('gives each image adapter its own puller and each volume adapter its own volume', () => {
    const parts = adapterPodParts([image('a'), { source: { name: 'v', volumeSource: { hostPath: { path: '/data/v' } } } }, image('b')]);
    expect(parts.initContainers.map((c) => c.name)).toEqual(['puller-a', 'puller-b']);
    expect(parts.volumes).toEqual([{ name: 'adapter-v', hostPath: { path: '/data/v' } }]);
    expect(parts.mounts).toEqual([{ name: 'adapter-v', mountPath: '/mnt/adapter/v', readOnly: true }]);
  });

  it('keeps container names DNS labels and distinct when adapter names only differ by a dot', () => {
    const parts = adapterPodParts([image('a.b'), image('a-b'), image(`x${'y'.repeat(80)}`)]);
    const names = parts.initContainers.map((c) => c.name);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('uses the puller image it is given', () => {
    expect(adapterPodParts([image('a')], { pullerImage: 'mirror.example.com/skopeo:1' }).initContainers[0]?.image).toBe('mirror.example.com/skopeo:1');
  });
});

describe('the puller script', () => {
  // Runs the init container's script with a stand-in skopeo that writes an OCI `dir:` layout, so
  // the extraction and copy are exercised for real (tar and sh are the puller image's too).
  const script = adapterPodParts([image('a')]).initContainers[0]?.command?.[2] ?? '';
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  function pull(layerFiles: Record<string, string>): { status: number | null; stderr: string; dir: string; log: string } {
    const root = mkdtempSync(join(tmpdir(), 'puller-'));
    roots.push(root);
    const fixture = join(root, 'fixture');
    const layerRoot = join(root, 'layer');
    mkdirSync(fixture);
    for (const [path, content] of Object.entries(layerFiles)) {
      mkdirSync(dirname(join(layerRoot, path)), { recursive: true });
      writeFileSync(join(layerRoot, path), content);
    }
    mkdirSync(layerRoot, { recursive: true });
    execFileSync('tar', ['-czf', join(fixture, 'aaaa1111'), '-C', layerRoot, '.']);
    writeFileSync(join(fixture, 'bbbb2222'), '{"architecture":"amd64"}'); // the config blob
    writeFileSync(join(fixture, 'manifest.json'), '{}');
    writeFileSync(join(fixture, 'version'), 'Directory Transport Version: 1.1\n');
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'skopeo'), '#!/bin/sh\necho "$@" >> "$SKOPEO_LOG"\nfor last; do :; done\nd="${last#dir:}"\nmkdir -p "$d" && cp "$FIXTURE"/* "$d"/\n', { mode: 0o755 });
    const out = join(root, 'adapters');
    const log = join(root, 'skopeo.log');
    const r = spawnSync('sh', ['-c', script], {
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, ADAPTER_NAME: 'a', ADAPTER_IMAGE: 'example.com/a:1', ADAPTER_DIR: out, FIXTURE: fixture, SKOPEO_LOG: log },
      encoding: 'utf8',
    });
    return { status: r.status, stderr: r.stderr, dir: join(out, 'a'), log: readFileSync(log, 'utf8') };
  }

  it('copies the image’s /data into /mnt/adapter/<name>', () => {
    const r = pull({ 'data/adapter_config.json': '{"r":8}', 'data/adapter_model.safetensors': 'weights', 'other/file': 'x' });
    expect(r.status).toBe(0);
    expect(readdirSync(r.dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(readFileSync(join(r.dir, 'adapter_config.json'), 'utf8')).toBe('{"r":8}');
    expect(r.log).toMatch(/^copy --retry-times 3 docker:\/\/example.com\/a:1 dir:\S+\/image\n$/);
  });

  it('fails, saying so, when the image has no /data', () => {
    const r = pull({ 'weights/model.bin': 'x' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('adapter image example.com/a:1 has no /data directory');
  });
});
