/**
 * HTTP(S) downloads for tuning inputs: redirects followed, retries with exponential backoff
 * (408/425/429/5xx and network errors), resume with `Range` + `If-Range`, a size limit, and a
 * sha256 check when the URL carries `#sha256=<hex>`. Errors name the URL and the HTTP status.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DownloadError, describeNetworkError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface InputUrl {
  /** The URL to fetch (fragment removed). */
  readonly url: string;
  /** From a `#sha256=<64 hex>` fragment. */
  readonly sha256?: string;
}

const SHA256_FRAGMENT = /^sha256=([0-9a-fA-F]{64})$/;

/** Splits `https://host/f.parquet#sha256=<hex>` into the URL and its checksum. */
export function parseInputUrl(raw: string): InputUrl {
  const hash = raw.indexOf('#');
  if (hash === -1) return { url: raw };
  const fragment = raw.slice(hash + 1);
  const m = SHA256_FRAGMENT.exec(fragment);
  if (!m?.[1]) throw new Error(`unsupported URL fragment "#${fragment}": only #sha256=<64 hex digits> is understood`);
  return { url: raw.slice(0, hash), sha256: m[1].toLowerCase() };
}

const SECRET_PARAM = /(sig|signature|token|key|secret|credential|password|auth)/i;

/** The URL without userinfo and with secret-looking query values (SAS `sig`, `X-Amz-Signature`) hidden. */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw;
  }
  u.username = '';
  u.password = '';
  for (const key of [...u.searchParams.keys()]) if (SECRET_PARAM.test(key)) u.searchParams.set(key, 'REDACTED');
  return u.toString();
}

/**
 * The URL without userinfo, and the userinfo as a Basic `Authorization` value (as curl sends it).
 * fetch refuses a URL with credentials, with an error that quotes it, password included.
 */
function splitUserinfo(raw: string): { url: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw };
  }
  if (!u.username && !u.password) return { url: raw };
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const credentials = `${decode(u.username)}:${decode(u.password)}`;
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** Kaito's naming: the URL path's last segment, query and fragment stripped. */
export function fileNameOf(url: string): string {
  try {
    const segments = new URL(url).pathname.split('/').filter(Boolean);
    const last = segments[segments.length - 1];
    // An encoded "/" (%2F) must not turn the name into a path out of the downloads directory.
    return last ? decodeURIComponent(last).replace(/[/\\\0]/g, '_') : 'download';
  } catch {
    return 'download';
  }
}

export interface DownloadOptions {
  readonly maxBytes: number;
  /** Total tries per URL. Default 5. */
  readonly attempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Abort an attempt when no bytes arrive for this long. Default 60 s. */
  readonly idleTimeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: Logger;
  /** Aborting stops the download at once (no retry). */
  readonly signal?: AbortSignal;
}

export interface DownloadResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly attempts: number;
  readonly resumed: boolean;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Downloads `input` to `dest` (via `dest.part`, which a later attempt resumes). */
export async function download(input: InputUrl, dest: string, options: DownloadOptions): Promise<DownloadResult> {
  const shown = redactUrl(input.url);
  const target = splitUserinfo(input.url);
  // Errors from fetch may quote the URL (e.g. "Failed to parse URL from …"); show it redacted.
  const scrub = (message: string): string => message.split(input.url).join(shown).split(target.url).join(shown);
  const attempts = options.attempts ?? 5;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const part = `${dest}.part`;
  const log = options.log?.child({ url: shown });
  let validator: string | undefined;
  let resumed = false;
  let last: DownloadError | undefined;
  let nextDelay: number | undefined;

  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      const backoff = Math.min(options.maxBackoffMs ?? 30_000, (options.initialBackoffMs ?? 1000) * 2 ** (attempt - 2));
      const delay = Math.min(options.maxBackoffMs ?? 30_000, nextDelay ?? backoff * (0.5 + Math.random() / 2));
      log?.warn('download retry', { attempt, delayMs: Math.round(delay), error: last?.message });
      await sleep(delay);
    }
    nextDelay = undefined;
    try {
      const result = await attemptDownload();
      return { ...result, attempts: attempt, resumed };
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      last = err;
      if (!err.retryable || options.signal?.aborted) throw err;
    }
  }
  throw new DownloadError(shown, last?.status, `${last?.problem ?? 'failed'} (gave up after ${attempts} attempts)`, { cause: last });

  async function attemptDownload(): Promise<Omit<DownloadResult, 'attempts' | 'resumed'>> {
    let offset = await sizeOf(part);
    if (offset > 0 && validator === undefined) {
      // A partial file from an unknown response cannot be resumed safely.
      await rm(part, { force: true });
      offset = 0;
    }
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'kaito-tuning-runner' };
    if (target.authorization !== undefined) headers.authorization = target.authorization;
    if (offset > 0 && validator !== undefined) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = validator;
    }
    const controller = new AbortController();
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const onAbort = (): void => controller.abort(new Error('the run was terminated'));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
    };
    try {
      let res: Response;
      try {
        res = await doFetch(target.url, { headers, redirect: 'follow', signal: controller.signal });
      } catch (err) {
        throw new DownloadError(shown, undefined, scrub(describeNetworkError(controller.signal.aborted ? controller.signal.reason : err)), {
          cause: err,
          retryable: true,
        });
      }
      const finalUrl = res.url || target.url;
      if (!/^https?:/i.test(finalUrl)) throw new DownloadError(shown, res.status, `redirected to a non-http(s) URL`);
      if (res.status === 416) {
        await res.body?.cancel();
        await rm(part, { force: true });
        validator = undefined;
        throw new DownloadError(shown, 416, 'range not satisfiable; restarting from the beginning', { retryable: true });
      }
      if (!res.ok) {
        await res.body?.cancel();
        const retryable = RETRYABLE_STATUS.has(res.status);
        nextDelay = retryable ? retryAfterMs(res.headers.get('retry-after')) : undefined;
        throw new DownloadError(shown, res.status, `${res.statusText || 'request failed'}${retryable ? '' : ' (not retried)'}`, { retryable });
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw new DownloadError(shown, res.status, 'expected 200 OK with a body');
      }

      let start = 0;
      let total: number | undefined;
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== offset) {
          await res.body?.cancel();
          await rm(part, { force: true });
          validator = undefined;
          throw new DownloadError(shown, 206, `unexpected Content-Range ${JSON.stringify(res.headers.get('content-range'))}; restarting`, {
            retryable: true,
          });
        }
        start = offset;
        resumed = true;
        total = m[3] === '*' ? undefined : Number(m[3]);
      } else {
        const length = res.headers.get('content-length');
        total = length === null ? undefined : Number(length);
      }
      if (total !== undefined && total > options.maxBytes) {
        await res.body?.cancel();
        throw new DownloadError(shown, res.status, `the file is ${humanBytes(total)}, over the limit of ${humanBytes(options.maxBytes)}`);
      }
      const etag = res.headers.get('etag');
      validator = etag && !etag.startsWith('W/') ? etag : (res.headers.get('last-modified') ?? undefined);
      if (!res.body) throw new DownloadError(shown, res.status, 'the response has no body');

      let received = start;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          touch();
          if (received > options.maxBytes) {
            done(new DownloadError(shown, res.status, `the download passed the limit of ${humanBytes(options.maxBytes)}`));
          } else done(null, chunk);
        },
      });
      // A dropped connection ends the source gracefully so every byte already received reaches
      // the disk before the error is reported: the next attempt resumes from the file's size.
      let interrupted: { error: unknown } | undefined;
      const body = res.body as WebReadableStream<Uint8Array>;
      async function* untilInterrupted(): AsyncGenerator<Uint8Array> {
        try {
          // The web stream itself, not Readable.fromWeb: that reads ahead and drops its buffer on error.
          for await (const chunk of body) yield chunk;
        } catch (err) {
          interrupted = { error: err };
        }
      }
      try {
        await pipeline(untilInterrupted(), limit, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }));
      } catch (err) {
        if (err instanceof DownloadError) {
          await rm(part, { force: true });
          throw err;
        }
        interrupted = { error: err };
      }
      if (interrupted) {
        const why = controller.signal.aborted ? controller.signal.reason : interrupted.error;
        throw new DownloadError(shown, res.status, `interrupted after ${humanBytes(received)}: ${scrub(describeNetworkError(why))}`, {
          cause: interrupted.error,
          retryable: true,
        });
      }
      if (total !== undefined && received !== total) {
        throw new DownloadError(shown, res.status, `the connection closed after ${received} of ${total} bytes`, { retryable: true });
      }
      if (received === 0) {
        await rm(part, { force: true });
        throw new DownloadError(shown, res.status, 'the response body is empty');
      }
      const sha256 = await sha256Of(part);
      if (input.sha256 !== undefined && sha256 !== input.sha256) {
        await rm(part, { force: true });
        validator = undefined;
        const wasResumed = resumed;
        resumed = false;
        // A resumed file may have been stitched from two versions; one clean retry settles it.
        throw new DownloadError(shown, undefined, `sha256 mismatch: expected ${input.sha256}, got ${sha256}`, { retryable: wasResumed });
      }
      await rename(part, dest);
      log?.info('downloaded', { bytes: received, sha256, resumed });
      return { path: dest, bytes: received, sha256 };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}
