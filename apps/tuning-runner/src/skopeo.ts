/**
 * `skopeo copy` for the local cluster: the one command Kaito's adapter and data pullers run
 * (`skopeo copy [--retry-times N] [--authfile FILE] docker://IMAGE dir:PATH`), on this app's OCI
 * client, so the process kubelet can run the puller init containers' own shell scripts unchanged
 * (tools/cluster/kubelet-images.yaml puts it on the skopeo image's PATH). Not skopeo: any other
 * command, transport or option is refused with one line naming it.
 *
 * Plain http: like Docker, registries on a loopback address (127.0.0.0/8, localhost, ::1) are
 * reached over http, as are those in INSECURE_REGISTRIES (comma-separated host:port, the
 * tuning-runner's setting) or with --src-tls-verify=false; everything else over https.
 */
import { messageOf } from './errors.js';
import { createLogger } from './logger.js';
import { loadCredentialsFile } from './oci/docker-config.js';
import { pullToDir } from './oci/pull.js';
import { type ImageRef, parseImageRef } from './oci/reference.js';

export interface CopyCommand {
  readonly image: string;
  readonly dir: string;
  readonly authfile?: string;
  readonly retryTimes: number;
  readonly tlsVerify?: boolean;
  readonly decompress: boolean;
}

export class UsageError extends Error {
  readonly code = 'Usage' as const;
}

const USAGE = 'usage: skopeo copy [--retry-times N] [--authfile FILE] [--src-tls-verify=BOOL] [--dest-decompress] docker://IMAGE dir:PATH';

function bool(flag: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`${flag}: expected true or false, got "${value}"`);
}

/** The `copy` command line (after `skopeo`), or a UsageError naming what is not supported. */
export function parseCopy(argv: readonly string[]): CopyCommand {
  const [command, ...rest] = argv;
  if (command !== 'copy') throw new UsageError(`only "copy" is supported by this stand-in, got ${command === undefined ? 'no command' : `"${command}"`}; ${USAGE}`);
  let authfile: string | undefined;
  let retryTimes = 0;
  let tlsVerify: boolean | undefined;
  let decompress = false;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const next = rest[++i];
      if (next === undefined) throw new UsageError(`${flag}: expected a value; ${USAGE}`);
      return next;
    };
    if (flag === '--authfile' || flag === '--src-authfile') authfile = value();
    else if (flag === '--retry-times') {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`--retry-times: expected a whole number, got "${v}"`);
      retryTimes = Number(v);
    } else if (flag === '--src-tls-verify' || flag === '--tls-verify') tlsVerify = eq === -1 ? true : bool(flag, arg.slice(eq + 1));
    else if (flag === '--dest-decompress') decompress = true;
    else if (arg.startsWith('-')) throw new UsageError(`option ${flag} is not supported by this stand-in; ${USAGE}`);
    else positional.push(arg);
  }
  const [source, dest] = positional;
  if (positional.length !== 2 || source === undefined || dest === undefined) throw new UsageError(`expected a source and a destination; ${USAGE}`);
  if (!source.startsWith('docker://')) throw new UsageError(`source "${source}": only the docker:// transport is supported`);
  if (!dest.startsWith('dir:')) throw new UsageError(`destination "${dest}": only the dir: transport is supported`);
  return {
    image: source.slice('docker://'.length),
    dir: dest.slice('dir:'.length),
    retryTimes,
    decompress,
    ...(authfile !== undefined ? { authfile } : {}),
    ...(tlsVerify !== undefined ? { tlsVerify } : {}),
  };
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?$/;

/** Whether `ref`'s registry is reached over plain http (see the file comment). */
export function isInsecure(ref: ImageRef, tlsVerify: boolean | undefined, insecureRegistries: readonly string[]): boolean {
  if (tlsVerify === false) return true;
  if (tlsVerify === true) return false;
  return LOOPBACK.test(ref.registry) || insecureRegistries.includes(ref.registry) || insecureRegistries.includes(ref.apiHost);
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let cmd: CopyCommand;
  let ref: ImageRef;
  try {
    cmd = parseCopy(argv);
    ref = parseImageRef(cmd.image);
  } catch (err) {
    process.stderr.write(`skopeo (kaito-ts stand-in): ${messageOf(err)}\n`);
    return 2;
  }
  const log = createLogger({ level: 'info', defaultMeta: { component: 'skopeo-standin' } });
  try {
    const credentials = cmd.authfile !== undefined ? await loadCredentialsFile(cmd.authfile, ref.registry) : undefined;
    const insecureRegistries = (env['INSECURE_REGISTRIES'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const insecure = isInsecure(ref, cmd.tlsVerify, insecureRegistries);
    log.info('copying image', { image: cmd.image, dir: cmd.dir, insecure, anonymous: credentials === undefined });
    await pullToDir(ref, cmd.dir, { ...(credentials ? { credentials } : {}), insecure, attempts: cmd.retryTimes + 1, decompress: cmd.decompress, log });
    return 0;
  } catch (err) {
    // skopeo's own failure line, then exit 1 (the puller script tries the next auth file)
    log.error('copy failed', { image: cmd.image, error: messageOf(err) });
    process.stderr.write(`skopeo (kaito-ts stand-in): copying ${cmd.image}: ${messageOf(err)}\n`);
    return 1;
  } finally {
    await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

