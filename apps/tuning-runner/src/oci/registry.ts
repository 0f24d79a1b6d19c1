/**
 * A small OCI distribution client on Node's fetch: the auth handshake (anonymous, Basic, Bearer
 * tokens from the registry's token server, identity tokens), blob upload (POST + monolithic PUT),
 * manifests, and the pulls the tests use to read an image back. https unless the registry is
 * explicitly insecure. Credentials never reach a message or a log line.
 */
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryAuthError, RegistryError, describeNetworkError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Credentials } from './docker-config.js';
import type { ImageRef } from './reference.js';

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** `Bearer realm="…",service="…",scope="…"` → scheme + params. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m?.[1]) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) {
    if (p[1]) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: m[1].toLowerCase(), params };
}

export interface RegistryClientOptions {
  readonly credentials?: Credentials;
  /** Plain http; only for registries the user marked insecure. */
  readonly insecure?: boolean;
  readonly fetch?: typeof fetch;
  readonly log?: Logger;
  /** Tries per request for 5xx, 429 and network errors. Default 3. */
  readonly attempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type Body = NonNullable<RequestInit['body']>;

/** A blob to upload: bytes in memory, or a file streamed from disk. */
export type BlobSource = Buffer | { readonly path: string };

interface RequestSpec {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** A factory so a retry can send the body again. */
  readonly body?: () => Body;
  /** Upload this file as the body (node:http, streamed: fetch's stream bodies are several times slower). */
  readonly file?: string;
  readonly expect: readonly number[];
  /** What the request was for, in errors: "upload layer sha256:…". */
  readonly what: string;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export class RegistryClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private authorization: string | undefined;
  private challenge: Challenge | undefined;
  private pinged = false;

  constructor(
    readonly ref: ImageRef,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.base = `${options.insecure ? 'http' : 'https'}://${ref.apiHost}`;
    this.doFetch = options.fetch ?? fetch;
  }

  get repoUrl(): string {
    return `${this.base}/v2/${this.ref.repository}`;
  }

  /** The auth probe: `GET /v2/`, then credentials for the challenge it returns. */
  async ping(): Promise<void> {
    const res = await this.send({ method: 'GET', url: `${this.base}/v2/`, expect: [200, 401], what: 'reach the registry' }, { probe: true });
    await res.body?.cancel();
    this.pinged = true;
    if (res.status === 200) return;
    const header = res.headers.get('www-authenticate');
    this.challenge = header ? parseChallenge(header) : undefined;
    await this.authenticate();
    const check = await this.send({ method: 'GET', url: `${this.base}/v2/`, expect: [200, 401], what: 'reach the registry' }, { probe: true });
    await check.body?.cancel();
    // A Bearer token is scoped to the repository; /v2/ may still say 401 for it on some registries.
    if (check.status === 401 && this.challenge?.scheme === 'basic') throw this.rejected(401);
  }

  private rejected(status: number, detail = ''): RegistryAuthError {
    const who = this.options.credentials && 'username' in this.options.credentials ? ` for user "${this.options.credentials.username}"` : '';
    return new RegistryAuthError(
      `registry ${this.ref.registry} rejected the credentials${who} (HTTP ${status})${detail ? `: ${detail}` : ''}; check the image push secret`,
      status,
    );
  }

  private async authenticate(): Promise<void> {
    const challenge = this.challenge;
    const creds = this.options.credentials;
    if (!challenge) throw new RegistryAuthError(`registry ${this.ref.registry} answered 401 without a WWW-Authenticate challenge`, 401);
    if (challenge.scheme === 'basic') {
      if (!creds || creds.kind !== 'basic') {
        throw new RegistryAuthError(`registry ${this.ref.registry} requires a username and password; the docker config has none for it`, 401);
      }
      this.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return;
    }
    if (challenge.scheme !== 'bearer') throw new RegistryAuthError(`registry ${this.ref.registry} asks for unsupported auth scheme "${challenge.scheme}"`, 401);
    if (creds?.kind === 'registry-token') {
      this.authorization = `Bearer ${creds.token}`;
      return;
    }
    this.authorization = `Bearer ${await this.fetchToken(challenge, creds)}`;
  }

  /** distribution's token flow: GET realm?service&scope (Basic), or POST a refresh token (identity token). */
  private async fetchToken(challenge: Challenge, creds: Credentials | undefined): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryAuthError(`registry ${this.ref.registry} sent a Bearer challenge without a realm`, 401);
    const scope = `repository:${this.ref.repository}:pull,push`;
    const service = challenge.params.service;
    let res: Response;
    try {
      if (creds?.kind === 'identity-token') {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.token, scope, client_id: 'kaito-tuning-runner' });
        if (service) form.set('service', service);
        res = await this.doFetch(realm, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      } else {
        const url = new URL(realm);
        if (service) url.searchParams.set('service', service);
        url.searchParams.set('scope', scope);
        const headers: Record<string, string> = {};
        if (creds?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
        res = await this.doFetch(url, { headers });
      }
    } catch (err) {
      throw new RegistryError(`token server ${realm} for ${this.ref.registry}: ${describeNetworkError(err)}`, undefined, { cause: err, retryable: true });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.rejected(res.status, `token server ${realm} refused`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`token server ${realm} for ${this.ref.registry}: HTTP ${res.status}`, res.status, { retryable: RETRY_STATUS.has(res.status) });
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError(`token server ${realm} for ${this.ref.registry} returned no token`);
    return token;
  }

  /**
   * One request with retries; a 401 re-authenticates once (an expired token) before it is final.
   * `probe` marks the auth probe itself: no ping first, and a 401 is an answer, not a failure.
   */
  async send(spec: RequestSpec, { probe = false }: { probe?: boolean } = {}): Promise<Response> {
    const auth = !probe;
    if (auth && !this.pinged) await this.ping();
    const attempts = this.options.attempts ?? 3;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let reauthed = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...spec.headers };
      if (this.authorization) headers.authorization = this.authorization;
      let res: Response;
      try {
        if (spec.file !== undefined) {
          res = await uploadFile(spec.url, spec.method, headers, spec.file);
        } else {
          const body = spec.body?.();
          res = await this.doFetch(spec.url, {
            method: spec.method,
            headers,
            redirect: 'follow',
            ...(body !== undefined ? { body, duplex: 'half' } : {}),
          } as RequestInit);
        }
      } catch (err) {
        const tls = /TLS handshake failed/.test(describeNetworkError(err));
        if (attempt < attempts && !tls) {
          this.options.log?.warn('registry request failed; retrying', { what: spec.what, attempt, error: describeNetworkError(err) });
          await sleep(500 * 2 ** (attempt - 1));
          continue;
        }
        const hint = !this.options.insecure && /ssl|tls|EPROTO|wrong version number/i.test(describeNetworkError(err))
          ? ' (if this registry serves plain http, list it in INSECURE_REGISTRIES)'
          : '';
        throw new RegistryError(`${spec.what} at ${this.ref.registry}: ${describeNetworkError(err)}${hint}`, undefined, { cause: err });
      }
      if (spec.expect.includes(res.status)) return res;
      if (res.status === 401 && auth) {
        const header = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (!reauthed && header) {
          reauthed = true;
          this.challenge = parseChallenge(header);
          await this.authenticate();
          attempt--;
          continue;
        }
        throw this.rejected(401, `${spec.what} was refused`);
      }
      const detail = await errorDetail(res);
      if (res.status === 403) throw new RegistryAuthError(`registry ${this.ref.registry} denied ${spec.what} (HTTP 403)${detail}`, 403);
      if (RETRY_STATUS.has(res.status) && attempt < attempts) {
        this.options.log?.warn('registry request failed; retrying', { what: spec.what, attempt, status: res.status });
        await sleep(500 * 2 ** (attempt - 1));
        continue;
      }
      throw new RegistryError(`${spec.what} at ${this.ref.registry}: HTTP ${res.status}${detail}`, res.status);
    }
  }

  async blobExists(digest: string): Promise<boolean> {
    const res = await this.send({ method: 'HEAD', url: `${this.repoUrl}/blobs/${digest}`, expect: [200, 404], what: `check blob ${digest}` });
    await res.body?.cancel();
    return res.status === 200;
  }

  /** POST an upload session, then PUT the whole blob with its digest. Skipped when the blob exists. */
  async pushBlob(digest: string, size: number, source: BlobSource, what: string): Promise<void> {
    if (await this.blobExists(digest)) {
      this.options.log?.debug('blob exists', { digest });
      return;
    }
    const start = await this.send({ method: 'POST', url: `${this.repoUrl}/blobs/uploads/`, expect: [202], what: `start upload of ${what}` });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location) throw new RegistryError(`start upload of ${what} at ${this.ref.registry}: no Location header`);
    const url = new URL(location, `${this.base}/`);
    url.searchParams.set('digest', digest);
    const put = await this.send({
      method: 'PUT',
      url: url.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      ...(Buffer.isBuffer(source) ? { body: () => source } : { file: source.path }),
      expect: [201],
      what: `upload ${what}`,
    });
    await put.body?.cancel();
  }

  /** PUT a manifest under `reference` (a tag); returns the digest the registry reports. */
  async putManifest(reference: string, mediaType: string, manifest: Buffer): Promise<string | undefined> {
    const res = await this.send({
      method: 'PUT',
      url: `${this.repoUrl}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body: () => manifest,
      expect: [201],
      what: `push manifest ${this.ref.repository}:${reference}`,
    });
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  async getManifest(reference: string, accept: string): Promise<{ body: Buffer; mediaType: string | null; digest: string | null }> {
    const res = await this.send({
      method: 'GET',
      url: `${this.repoUrl}/manifests/${reference}`,
      headers: { accept },
      expect: [200],
      what: `pull manifest ${reference}`,
    });
    return { body: Buffer.from(await res.arrayBuffer()), mediaType: res.headers.get('content-type'), digest: res.headers.get('docker-content-digest') };
  }

  async getBlob(digest: string): Promise<Buffer> {
    const res = await this.send({ method: 'GET', url: `${this.repoUrl}/blobs/${digest}`, expect: [200], what: `pull blob ${digest}` });
    return Buffer.from(await res.arrayBuffer());
  }
}

async function errorDetail(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first) return `: ${[first.code, first.message].filter(Boolean).join(' ')}`;
    return '';
  } catch {
    return '';
  }
}

const NO_BODY = new Set([101, 103, 204, 205, 304]);

/** PUT/POST a file with node:http(s), piping it from disk; the answer as a fetch Response. */
function uploadFile(url: string, method: string, headers: Record<string, string>, path: string): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const req = send(target, { method, headers }, (res: IncomingMessage) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
      const status = res.statusCode ?? 500;
      const body = NO_BODY.has(status) ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      if (!body) res.resume();
      resolve(new Response(body, { status, headers: h }));
    });
    req.on('error', reject);
    pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), req).catch(reject);
  });
}
