/**
 * Benchmark: pushing a ~500 MB adapter to a local docker-registry (htpasswd auth), the runner
 * against the oras CLI on the same registry, alternating runs, each to a fresh repository.
 *
 *   npx tsx apps/tuning-runner/bench/push.ts [--size-mb 500] [--runs 3] [--oras PATH]
 *
 * Needs docker-registry + htpasswd (scripts/setup-test-deps.sh) and oras (scripts/ensure-oras.sh,
 * built into ~/.cache/kaito-ts/bin). Three comparisons:
 *   end-to-end   runner: tar + gzip + upload  vs  `oras push ref data/` (oras tars and gzips the directory)
 *   upload only  runner: the same prebuilt layer file  vs  `oras push ref layer.tar.gz:<layer media type>`
 *   kaito flow   `tar | gzip -9` then `oras push` (what Kaito's pusher sidecar does), for context
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { loadCredentials } from '../src/oci/docker-config.js';
import { buildAdapterLayer, imageConfig, imageManifest, MediaTypes, pushAdapter } from '../src/oci/push.js';
import { parseImageRef } from '../src/oci/reference.js';
import { RegistryClient } from '../src/oci/registry.js';
import { createHash } from 'node:crypto';
import { dockerConfigDir, startRegistry } from '../src/testing/processes.js';

const SETTINGS = defineSettings({
  sizeMb: { flag: 'size-mb', codec: C.wholeNumber({ min: 1, what: 'a positive number of MB' }), default: '500', description: 'adapter size', placeholder: 'MB' },
  runs: { flag: 'runs', codec: C.wholeNumber({ min: 1, what: 'a positive number of runs' }), default: '3', description: 'runs of each comparison', placeholder: 'N' },
  oras: { flag: 'oras', codec: C.optional(C.text), description: 'the oras binary (default: built by scripts/ensure-oras.sh)', example: '/usr/local/bin/oras', placeholder: 'PATH' },
});
let parsed;
try {
  parsed = parseSettings(SETTINGS, process.argv.slice(2), process.env);
} catch (err) {
  if (!isSettingsError(err)) throw err;
  console.error(`bench/push: ${err.message}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(settingsHelp(SETTINGS, 'usage: npx tsx apps/tuning-runner/bench/push.ts [flags]'));
  process.exit(0);
}
const { values } = parsed;
const here = import.meta.dirname;
const oras = values.oras ?? execFileSync('bash', [join(here, '..', 'scripts', 'ensure-oras.sh')], { encoding: 'utf8' }).trim();
const { runs } = values;

/** A LoRA-shaped safetensors file of about `mb` MB with random F32 data, written in chunks. */
async function writeBigAdapter(dir: string, mb: number): Promise<number> {
  const hidden = 4096;
  const modules = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  const layers = 32;
  const r = Math.max(1, Math.round((mb * 1e6) / (layers * modules.length * 2 * hidden * 4)));
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (let l = 0; l < layers; l++) {
    for (const m of modules) {
      for (const [side, shape] of [['A', [r, hidden]], ['B', [hidden, r]]] as const) {
        const bytes = shape[0] * shape[1] * 4;
        header[`base_model.model.model.layers.${l}.self_attn.${m}.lora_${side}.weight`] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
        offset += bytes;
      }
    }
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const fd = openSync(join(dir, 'adapter_model.safetensors'), 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, len);
  writeSync(fd, json);
  const chunk = Buffer.alloc(8 << 20);
  for (let left = offset; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  }
  closeSync(fd);
  await writeFile(
    join(dir, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r, lora_alpha: r, target_modules: modules, base_model_name_or_path: '/workspace/tfs/weights' }),
  );
  return 8 + json.length + offset;
}

function timed<T>(fn: () => Promise<T>): Promise<{ s: number; value: T }> {
  const t0 = performance.now();
  return fn().then((value) => ({ s: (performance.now() - t0) / 1000, value }));
}

function orasPush(args: string[], cwd: string): void {
  const r = spawnSync(oras, ['push', '--plain-http', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`oras push failed: ${r.stderr}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const work = await mkdtemp(join(tmpdir(), 'kaito-push-bench-'));
const registry = await startRegistry({ kind: 'htpasswd', username: 'bench', password: 'bench-password' });
try {
  const configDir = await dockerConfigDir(registry.host, 'bench', 'bench-password');
  const registryConfig = join(configDir, 'config.json');
  const adapter = join(work, 'adapter');
  const dataDir = join(work, 'oras', 'data');
  await mkdir(adapter, { recursive: true });
  const size = await writeBigAdapter(adapter, values.sizeMb);
  await mkdir(dataDir, { recursive: true });
  execFileSync('cp', [join(adapter, 'adapter_config.json'), join(adapter, 'adapter_model.safetensors'), dataDir]);
  const oversion = spawnSync(oras, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  console.log(`push benchmark: adapter ${(size / 1e6).toFixed(0)} MB (random F32), registry docker-registry 2.8 on ${registry.host} (htpasswd), ${oversion}, ${runs} runs each`);

  const prebuilt = await buildAdapterLayer(adapter, work);
  const ref = parseImageRef(`${registry.host}/bench/x:1`);
  const credentials = await loadCredentials(configDir, registry.host);
  const results = new Map<string, number[]>();
  const add = (name: string, seconds: number): void => {
    results.set(name, [...(results.get(name) ?? []), seconds]);
  };
  for (let i = 0; i < runs; i++) {
    add('runner end-to-end', 
      (await timed(() => pushAdapter(adapter, { image: `${registry.host}/bench/runner-${i}:1`, modelName: 'bench', dockerConfigDir: configDir, insecureRegistries: [registry.host], workDir: work }))).s,
    );
    add('oras dir end-to-end', 
      (await timed(async () => orasPush(['--registry-config', registryConfig, `${registry.host}/bench/oras-dir-${i}:1`, 'data/'], join(work, 'oras')))).s,
    );
    add('runner upload only', 
      (
        await timed(async () => {
          const client = new RegistryClient({ ...ref, repository: `bench/runner-upload-${i}` }, { insecure: true, ...(credentials ? { credentials } : {}) });
          await client.pushBlob(prebuilt.digest, prebuilt.size, { path: prebuilt.path }, 'layer');
          const config = imageConfig(prebuilt.diffId);
          const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
          await client.pushBlob(configDigest, config.length, config, 'config');
          await client.putManifest('1', MediaTypes.manifest, imageManifest({ digest: configDigest, size: config.length }, prebuilt, 'bench'));
        })
      ).s,
    );
    add('oras upload only', 
      (await timed(async () => orasPush(['--registry-config', registryConfig, `${registry.host}/bench/oras-upload-${i}:1`, `layer.tar.gz:${MediaTypes.layer}`], work))).s,
    );
    add('kaito flow (tar|gzip -9 + oras)', 
      (
        await timed(async () => {
          execFileSync('bash', ['-c', `tar -C ${join(work, 'oras')} -c data | gzip -9 > ${join(work, 'kaito.tar.gz')}`]);
          orasPush(['--registry-config', registryConfig, `${registry.host}/bench/kaito-${i}:1`, `kaito.tar.gz:${MediaTypes.layer}`], work);
        })
      ).s,
    );
  }
  console.log('what                              median_s  MB/s    runs');
  for (const [name, xs] of results) {
    const m = median(xs);
    console.log(`${name.padEnd(33)} ${m.toFixed(2).padEnd(9)} ${(size / 1e6 / m).toFixed(0).padEnd(7)} ${xs.map((x) => x.toFixed(2)).join(' ')}`);
  }
  const ratio = (a: string, b: string): string => `${((median(results.get(a) ?? []) / median(results.get(b) ?? []) - 1) * 100).toFixed(1)}%`;
  console.log(`runner vs oras, end-to-end: ${ratio('runner end-to-end', 'oras dir end-to-end')}; upload only: ${ratio('runner upload only', 'oras upload only')} (negative = runner faster)`);
  await rm(configDir, { recursive: true, force: true });
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
