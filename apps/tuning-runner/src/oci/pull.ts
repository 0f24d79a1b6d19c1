/**
 * Pulls an image into skopeo's `dir:` layout (`manifest.json`, `version`, one file per blob named
 * by its hex digest), the way `skopeo copy docker://IMAGE dir:PATH` does: what Kaito's adapter
 * puller unpacks into `/mnt/adapter/<name>` on the local cluster (see skopeo.ts). Every blob and a
 * manifest pulled by digest are checked against their digests; an image index is resolved to its
 * linux/amd64 manifest.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RegistryError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Credentials } from './docker-config.js';
import { formatImageRef, type ImageRef } from './reference.js';
import { RegistryClient } from './registry.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
/** What skopeo writes into `version` (containers/image, directory transport). */
export const DIR_VERSION = 'Directory Transport Version: 1.1\n';

interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size?: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}

interface Manifest {
  readonly mediaType?: string;
  readonly config?: Descriptor;
  readonly layers?: readonly Descriptor[];
  readonly manifests?: readonly Descriptor[];
}

export interface PullToDirOptions {
  readonly credentials?: Credentials;
  readonly insecure?: boolean;
  /** Tries per request (skopeo's --retry-times + 1). */
  readonly attempts?: number;
  /** Store gzip layers uncompressed (skopeo's --dest-decompress). */
  readonly decompress?: boolean;
  readonly fetch?: typeof fetch;
  readonly log?: Logger;
}

export interface PulledImage {
  readonly digest: string;
  readonly layers: readonly string[];
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (digest: string): string => digest.replace(/^sha256:/, '');

export async function pullToDir(ref: ImageRef, dir: string, options: PullToDirOptions = {}): Promise<PulledImage> {
  const client = new RegistryClient(ref, {
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const image = formatImageRef(ref);
  let { body, digest } = await fetchManifest(client, ref.digest ?? ref.tag ?? 'latest', ref.digest, image);
  let manifest = parse(body, image);
  if (isIndex(manifest)) {
    const chosen = (manifest.manifests ?? []).find((m) => (m.platform?.os ?? 'linux') === 'linux' && (m.platform?.architecture ?? 'amd64') === 'amd64');
    if (chosen === undefined) throw new RegistryError(`${image} is an image index without a linux/amd64 manifest`);
    ({ body, digest } = await fetchManifest(client, chosen.digest, chosen.digest, image));
    manifest = parse(body, image);
  }
  if (manifest.config === undefined || manifest.layers === undefined) throw new RegistryError(`${image}: the manifest has no config or layers (media type ${manifest.mediaType ?? 'unknown'})`);
  await mkdir(dir, { recursive: true });
  const layers: string[] = [];
  for (const d of [manifest.config, ...manifest.layers]) {
    const blob = await client.getBlob(d.digest);
    if (sha256(blob) !== d.digest) throw new RegistryError(`${image}: blob ${d.digest} arrived with digest ${sha256(blob)}`);
    const isLayer = d !== manifest.config;
    const gzip = blob[0] === 0x1f && blob[1] === 0x8b;
    await writeFile(join(dir, hex(d.digest)), isLayer && options.decompress === true && gzip ? gunzipSync(blob) : blob);
    if (isLayer) layers.push(d.digest);
  }
  await writeFile(join(dir, 'manifest.json'), body);
  await writeFile(join(dir, 'version'), DIR_VERSION);
  options.log?.info('image pulled', { image, digest, layers: layers.length, dir });
  return { digest, layers };
}

async function fetchManifest(client: RegistryClient, reference: string, expected: string | undefined, image: string): Promise<{ body: Buffer; digest: string }> {
  const m = await client.getManifest(reference, MANIFEST_TYPES.join(', '));
  const digest = sha256(m.body);
  if (expected !== undefined && digest !== expected) throw new RegistryError(`${image}: the manifest arrived with digest ${digest}, expected ${expected}`);
  return { body: m.body, digest };
}

function parse(body: Buffer, image: string): Manifest {
  try {
    return JSON.parse(body.toString('utf8')) as Manifest;
  } catch (err) {
    throw new RegistryError(`${image}: the manifest is not JSON`, undefined, { cause: err });
  }
}

const isIndex = (m: Manifest): boolean => (m.mediaType !== undefined && INDEX_TYPES.has(m.mediaType)) || (m.manifests !== undefined && m.layers === undefined);
