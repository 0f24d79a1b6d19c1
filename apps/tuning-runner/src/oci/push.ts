/**
 * Pushes a tuned adapter as Kaito's adapter image: one tar+gzip layer holding
 * `data/adapter_config.json` and `data/adapter_model.safetensors`, an OCI image config whose
 * diff_id is the tar's sha256, and the manifest annotation `sh.kaito.model.name`. The layer is
 * written once to a spool file while both digests are computed, then uploaded from it (so a
 * retry can resend it, and a blob the registry already has is skipped).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { open } from 'node:fs/promises';
import { createGzip, deflateRawSync, constants as zlib } from 'node:zlib';
import type { Logger } from '../logger.js';
import { RegistryError } from '../errors.js';
import { loadCredentials } from './docker-config.js';
import { parseImageRef, formatImageRef, type ImageRef } from './reference.js';
import { RegistryClient } from './registry.js';
import { tarStream } from './tar.js';

export const MediaTypes = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const MODEL_NAME_ANNOTATION = 'sh.kaito.model.name';
export const ADAPTER_FILES = ['adapter_config.json', 'adapter_model.safetensors'] as const;

export interface Layer {
  readonly path: string;
  readonly digest: string;
  readonly diffId: string;
  readonly size: number;
  readonly gzipLevel: number;
}

function hashing(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      count.n += chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * The gzip level for the layer. Trained weights are mostly incompressible (float mantissas), and
 * deflating them costs far more time than the few percent it saves, so a 4 MiB sample of the
 * weights decides: level 1 when it shrinks by more than 10 %, else stored deflate blocks (level 0,
 * still a valid tar+gzip layer). The same files always give the same choice, so digests are stable.
 */
export async function chooseGzipLevel(safetensorsPath: string): Promise<number> {
  const handle = await open(safetensorsPath, 'r');
  try {
    const { size } = await handle.stat();
    const sample = Buffer.alloc(Math.min(4 << 20, Math.max(0, size - 4096)));
    if (sample.length === 0) return zlib.Z_BEST_SPEED;
    await handle.read(sample, 0, sample.length, Math.min(4096, size - sample.length));
    const packed = deflateRawSync(sample, { level: zlib.Z_BEST_SPEED });
    return packed.length < sample.length * 0.9 ? zlib.Z_BEST_SPEED : zlib.Z_NO_COMPRESSION;
  } finally {
    await handle.close();
  }
}

/** tar → (sha256 = diff_id) → gzip → (sha256 = digest) → spool file, in one pass. */
export async function buildAdapterLayer(adapterDir: string, spoolDir: string, gzipLevel?: number): Promise<Layer> {
  const level = gzipLevel ?? (await chooseGzipLevel(join(adapterDir, 'adapter_model.safetensors')));
  const entries = [{ type: 'dir' as const, name: 'data/' }];
  const files = [];
  for (const name of ADAPTER_FILES) {
    const path = join(adapterDir, name);
    files.push({ type: 'file' as const, name: `data/${name}`, path, size: (await stat(path)).size });
  }
  const diff = createHash('sha256');
  const compressed = createHash('sha256');
  const tarBytes = { n: 0 };
  const gzBytes = { n: 0 };
  const path = join(spoolDir, 'layer.tar.gz');
  await pipeline(
    tarStream([...entries, ...files]),
    hashing(diff, tarBytes),
    createGzip({ level, chunkSize: 1 << 20 }),
    hashing(compressed, gzBytes),
    createWriteStream(path),
  );
  return { path, digest: `sha256:${compressed.digest('hex')}`, diffId: `sha256:${diff.digest('hex')}`, size: gzBytes.n, gzipLevel: level };
}

export function imageConfig(diffId: string): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } }));
}

export function imageManifest(config: { digest: string; size: number }, layer: { digest: string; size: number }, modelName: string | undefined): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.manifest,
      config: { mediaType: MediaTypes.config, digest: config.digest, size: config.size },
      layers: [{ mediaType: MediaTypes.layer, digest: layer.digest, size: layer.size }],
      ...(modelName ? { annotations: { [MODEL_NAME_ANNOTATION]: modelName } } : {}),
    }),
  );
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface PushOptions {
  readonly image: string;
  readonly modelName?: string;
  readonly dockerConfigDir: string;
  readonly insecureRegistries?: readonly string[];
  readonly workDir: string;
  readonly log?: Logger;
  readonly fetch?: typeof fetch;
  readonly gzipLevel?: number;
}

export interface PushResult {
  readonly image: string;
  readonly ref: ImageRef;
  readonly digest: string;
  readonly layerDigest: string;
  readonly layerSize: number;
}

export async function pushAdapter(adapterDir: string, options: PushOptions): Promise<PushResult> {
  let ref: ImageRef;
  try {
    ref = parseImageRef(options.image);
  } catch (err) {
    throw new RegistryError((err as Error).message, undefined, { cause: err });
  }
  const log = options.log?.child({ image: formatImageRef(ref) });
  const insecure = (options.insecureRegistries ?? []).includes(ref.registry) || (options.insecureRegistries ?? []).includes(ref.apiHost);
  const credentials = await loadCredentials(options.dockerConfigDir, ref.registry);
  log?.info('pushing adapter', { registry: ref.registry, insecure, credentials: credentials ? credentials.kind : 'none' });
  const client = new RegistryClient(ref, {
    ...(credentials ? { credentials } : {}),
    insecure,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(log ? { log } : {}),
  });
  await client.ping();

  const spool = await mkdtemp(join(options.workDir, 'layer-'));
  try {
    const started = Date.now();
    const layer = await buildAdapterLayer(adapterDir, spool, options.gzipLevel);
    log?.info('layer built', { digest: layer.digest, bytes: layer.size, gzipLevel: layer.gzipLevel, ms: Date.now() - started });
    await client.pushBlob(layer.digest, layer.size, { path: layer.path }, `layer ${layer.digest}`);
    const config = imageConfig(layer.diffId);
    const configDigest = sha256(config);
    await client.pushBlob(configDigest, config.length, config, `config ${configDigest}`);
    const manifest = imageManifest({ digest: configDigest, size: config.length }, layer, options.modelName);
    const digest = sha256(manifest);
    const reported = await client.putManifest(ref.tag ?? digest, MediaTypes.manifest, manifest);
    if (reported && reported !== digest) throw new RegistryError(`registry ${ref.registry} stored the manifest as ${reported}, expected ${digest}`);
    log?.info('adapter pushed', { digest, ms: Date.now() - started });
    return { image: formatImageRef(ref), ref, digest, layerDigest: layer.digest, layerSize: layer.size };
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}
