/**
 * The process kubelet's "image registry": which local command stands in for a container image.
 * The mapping file (default tools/cluster/kubelet-images.yaml) lists image globs and the argv that
 * plays the image's ENTRYPOINT; a container's own command/args combine with it as with Docker.
 * An entry may also give the image's own files (`files`: container path → a path on this machine),
 * which the container sees at those paths through its mount namespace, as it would see them in the
 * image's root file system: a container whose command names `/workspace/vllm/inference_api.py`
 * runs unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, toolDir } from '../paths.js';
import type { Mount } from './volumes.js';

export interface ImageEntry {
  /** Glob over the image without tag or digest; `*` matches any run of characters. */
  readonly image: string;
  /** The image's ENTRYPOINT; absent: a host image (the container's command runs as given). */
  readonly command?: readonly string[];
  /** The image's CMD. */
  readonly args?: readonly string[];
  /**
   * The image's ENV. Values may refer to the kubelet's own variables as `$(NAME)` (e.g.
   * `PATH: "bin:$(PATH)"`); a relative entry of `PATH` that exists under the repository is made absolute.
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  /** The image's files: absolute container path → path on this machine (made absolute), mounted read-only. */
  readonly files?: Readonly<Record<string, string>>;
}

export interface ImageMap {
  readonly file: string;
  readonly entries: readonly ImageEntry[];
}

export class ImageMapError extends Error {
  readonly code = 'ImageMapError' as const;
}

export function defaultImageMapFile(): string {
  return join(toolDir(), 'kubelet-images.yaml');
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Parses and checks a mapping file's text; errors name the entry and field. */
export function parseImageMap(text: string, file: string, root = repoRoot()): ImageMap {
  const doc: unknown = parse(text);
  const images = (doc as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) {
    throw new ImageMapError(`${file}: expected a top-level "images" list, e.g. images: [{ image: "*tuning-runner", command: [node, main.js] }]`);
  }
  const entries = images.map((raw: unknown, i): ImageEntry => {
    const at = `${file}: images[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new ImageMapError(`${at}: expected an object with "image"`);
    const e = raw as Record<string, unknown>;
    if (typeof e['image'] !== 'string' || e['image'] === '') throw new ImageMapError(`${at}.image: expected a non-empty glob, e.g. "*tuning-runner"`);
    for (const k of ['command', 'args'] as const) {
      if (e[k] !== undefined && !isStringArray(e[k])) throw new ImageMapError(`${at}.${k}: expected a list of strings, e.g. [node, main.js]`);
    }
    const env = e['env'];
    if (env !== undefined && (typeof env !== 'object' || env === null || Object.values(env).some((v) => typeof v !== 'string'))) {
      throw new ImageMapError(`${at}.env: expected a map of strings, e.g. { PYTHONUNBUFFERED: "1" }`);
    }
    if (e['workingDir'] !== undefined && typeof e['workingDir'] !== 'string') throw new ImageMapError(`${at}.workingDir: expected a path`);
    const files = e['files'] !== undefined ? parseFiles(e['files'], `${at}.files`, root) : undefined;
    return {
      image: e['image'],
      ...(e['command'] !== undefined ? { command: (e['command'] as string[]).map((a) => absolutise(a, root)) } : {}),
      ...(e['args'] !== undefined ? { args: e['args'] as string[] } : {}),
      ...(env !== undefined ? { env: withAbsolutePath(env as Record<string, string>, root) } : {}),
      ...(e['workingDir'] !== undefined ? { workingDir: e['workingDir'] as string } : {}),
      ...(files !== undefined ? { files } : {}),
    };
  });
  return { file, entries };
}

/** A relative path that names a file under the repository becomes absolute, so any working directory works. */
function absolutise(a: string, root: string): string {
  return !isAbsolute(a) && a.includes('/') && existsSync(join(root, a)) ? join(root, a) : a;
}

/** The image's PATH may name folders of the repository (a stand-in's `bin/`), relative to it. */
function withAbsolutePath(env: Record<string, string>, root: string): Record<string, string> {
  const path = env['PATH'];
  return path === undefined ? env : { ...env, PATH: path.split(':').map((d) => absolutise(d, root)).join(':') };
}

function parseFiles(raw: unknown, at: string, root: string): Record<string, string> {
  const example = 'e.g. { /workspace/vllm: tools/cluster/images/kaito-base/vllm }';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ImageMapError(`${at}: expected a map of container path to local path, ${example}`);
  const out: Record<string, string> = {};
  for (const [target, source] of Object.entries(raw)) {
    if (!isAbsolute(target) || normalize(target) === '/') throw new ImageMapError(`${at}["${target}"]: expected an absolute container path below /, ${example}`);
    if (typeof source !== 'string' || source === '') throw new ImageMapError(`${at}["${target}"]: expected a local path, ${example}`);
    const local = isAbsolute(source) ? source : join(root, source);
    if (!existsSync(local)) throw new ImageMapError(`${at}["${target}"]: ${local} does not exist`);
    out[normalize(target).replace(/\/+$/, '')] = local;
  }
  return out;
}

export function loadImageMap(file = defaultImageMapFile()): ImageMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ImageMapError(`cannot read the image mapping file ${file}: ${(err as Error).message}`);
  }
  return parseImageMap(text, file);
}

/** `ghcr.io/x/tuning-runner:0.1@sha256:…` → `ghcr.io/x/tuning-runner`. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

// A glob of `*` only: image names need nothing more, so no glob library.
function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function findImage(map: ImageMap, image: string): ImageEntry | undefined {
  const name = imageName(image);
  const short = name.replace(/^(docker\.io\/)?(library\/)?/, '');
  return map.entries.find((e) => {
    const re = globRegExp(e.image);
    return re.test(name) || re.test(short);
  });
}

export interface ContainerCommand {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string;
  /** The image's files, mounted (read-only, before the pod's volumes) where the image has them. */
  readonly files: readonly Mount[];
}

/** Why a container's image cannot run here (the kubelet reports it as ErrImagePull). */
export class UnmappedImageError extends Error {
  readonly code = 'UnmappedImage' as const;
}

/**
 * The argv a container runs, with Docker's rules: `command` replaces the ENTRYPOINT (and drops the
 * CMD), `args` replaces the CMD.
 */
export function containerCommand(
  map: ImageMap,
  container: { image?: string; command?: string[]; args?: string[]; workingDir?: string },
  root = repoRoot(),
): ContainerCommand {
  const image = container.image ?? '';
  const entry = findImage(map, image);
  if (entry === undefined) {
    throw new UnmappedImageError(
      `image "${image}" has no local command in ${map.file}; add an entry such as { image: "${imageName(image)}", command: [node, path/to/main.js] }`,
    );
  }
  const argv =
    container.command !== undefined && container.command.length > 0
      ? [...container.command, ...(container.args ?? [])]
      : [...(entry.command ?? []), ...(container.args ?? entry.args ?? [])];
  if (argv.length === 0) {
    throw new UnmappedImageError(`image "${image}" maps to a host image in ${map.file}, and the container sets no command`);
  }
  const files = Object.entries(entry.files ?? {}).map(([target, source]) => ({ source, target, readOnly: true }));
  return { argv, env: entry.env ?? {}, workingDir: container.workingDir ?? entry.workingDir ?? root, files };
}
