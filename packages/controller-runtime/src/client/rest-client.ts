/**
 * The HTTP transport to the API server. Configuration and credentials come from a kubeconfig
 * (`loadKubeConfig`, or client-node's `KubeConfig`: certificates, tokens, exec plugins, proxies);
 * requests go over one keep-alive
 * agent, through a QPS/burst limiter, with metrics. Failures are client-node `ApiException`s (with
 * the decoded `Status` as body) or `TransportError`s, so `errors.ts` classifies them.
 *
 * Why not client-node's generated clients: they cover no subresources for arbitrary kinds (status
 * of a custom resource), have no rate limit, and its `Watch` ignores malformed lines and has no
 * idle timeout; a controller needs all of these.
 */
import * as http from 'node:http';
import * as https from 'node:https';
// The module itself, not the package root: the root imports every generated API class (about
// 60 MiB of RSS; docs/workspace-controller-benchmark.md, "RSS"). The class is the one the root
// re-exports, so `instanceof` holds whichever way it was imported.
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import type { KubeConfigLike } from './kubeconfig.js';
import { TransportError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { TokenBucket } from './rate-limiter.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const ContentType = {
  Json: 'application/json',
  MergePatch: 'application/merge-patch+json',
  JsonPatch: 'application/json-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
  /** Server-side apply; JSON is valid YAML. */
  Apply: 'application/apply-patch+yaml',
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

export interface RestRequest {
  readonly method: HttpMethod;
  /** Absolute API path: `/api/v1/namespaces/ns/configmaps/x`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly contentType?: ContentType;
  readonly signal?: AbortSignal;
}

/** What the typed client, informers, leases and events need from a transport; fakes implement it. */
export interface Transport {
  request<T = unknown>(req: RestRequest): Promise<T>;
  /**
   * Runs a watch (`req.query.watch` is set for you): each JSON line goes to `onEvent`; resolves
   * when the server ends the stream or `req.signal` aborts; rejects with ApiException (non-200) or
   * TransportError (broken, or idle longer than `idleTimeoutMs`).
   */
  watch(req: RestRequest & { readonly idleTimeoutMs: number }, onEvent: (event: unknown) => void): Promise<void>;
}

export interface RestClientOptions {
  /** Sustained requests per second. Default 20 (client-go's default is 5; controllers need more). */
  readonly qps?: number;
  /** Requests allowed at once above the sustained rate. Default 30. */
  readonly burst?: number;
  readonly metrics?: Metrics;
  /** Per-request timeout for non-watch requests. Default 30 s. */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /** Called after every answered request: for counting API writes in tests and diagnostics. */
  readonly onResponse?: (req: RestRequest, status: number) => void;
}

interface Connection {
  readonly base: URL;
  readonly agent: http.Agent;
  readonly secure: boolean;
  readonly tls: https.AgentOptions;
}

export class RestClient implements Transport {
  readonly #kc: KubeConfigLike;
  readonly #limiter: TokenBucket;
  readonly #metrics: Metrics | undefined;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #onResponse: ((req: RestRequest, status: number) => void) | undefined;
  #conn: Promise<Connection> | undefined;

  constructor(kubeConfig: KubeConfigLike, options: RestClientOptions = {}) {
    this.#kc = kubeConfig;
    this.#limiter = new TokenBucket(options.qps ?? 20, options.burst ?? 30);
    this.#metrics = options.metrics;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#userAgent = options.userAgent ?? 'kaito-ts-controller-runtime';
    this.#onResponse = options.onResponse;
  }

  async request<T = unknown>(req: RestRequest): Promise<T> {
    const { res, body } = await this.#send(req, false);
    const text = body ?? '';
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
    throw apiException(res, text);
  }

  /** A non-JSON GET, e.g. the API server's own `/metrics`; throws ApiException for non-2xx answers. */
  async requestText(req: RestRequest): Promise<string> {
    const { res, body } = await this.#send(req, false);
    const text = body ?? '';
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return text;
    throw apiException(res, text);
  }

  async watch(req: RestRequest & { readonly idleTimeoutMs: number }, onEvent: (event: unknown) => void): Promise<void> {
    const query = { ...req.query, watch: true };
    let res: http.IncomingMessage;
    try {
      ({ res } = await this.#send({ ...req, query }, true));
    } catch (err) {
      if (req.signal?.aborted) return; // stopped before the server answered: not a failure
      throw err;
    }
    if (res.statusCode !== 200) {
      const text = await readBody(res).catch(() => '');
      throw apiException(res, text);
    }
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let idle: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        req.signal?.removeEventListener('abort', onAbort);
        res.destroy();
        if (err === undefined) resolve();
        else reject(err);
      };
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(
          () => finish(new TransportError(`watch ${req.path}: no data for ${req.idleTimeoutMs} ms`)),
          req.idleTimeoutMs,
        );
      };
      const onAbort = (): void => finish();
      if (req.signal?.aborted) return finish();
      req.signal?.addEventListener('abort', onAbort, { once: true });
      armIdle();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        armIdle();
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch (err) {
            return finish(new TransportError(`watch ${req.path}: malformed event`, { cause: err }));
          }
          try {
            onEvent(event);
          } catch (err) {
            return finish(err);
          }
          if (settled) return;
        }
      });
      res.on('end', () => finish());
      res.on('aborted', () => finish(new TransportError(`watch ${req.path}: connection aborted`)));
      res.on('error', (err) => finish(req.signal?.aborted ? undefined : new TransportError(`watch ${req.path}: ${err.message}`, { cause: err })));
      res.on('close', () => finish(req.signal?.aborted ? undefined : new TransportError(`watch ${req.path}: connection closed`)));
    });
  }

  /** Sends the request; for non-streaming calls also reads the whole body. */
  async #send(req: RestRequest, stream: boolean): Promise<{ res: http.IncomingMessage; body?: string }> {
    const conn = await this.#connection();
    const waited = await this.#limiter.acquire(req.signal);
    this.#metrics?.rateLimiterLatency.observe({ method: req.method }, waited / 1000);
    const url = new URL(conn.base.pathname.replace(/\/$/, '') + req.path, conn.base);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const auth: https.RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(auth);
    const headers: http.OutgoingHttpHeaders = { ...(auth.headers as http.OutgoingHttpHeaders | undefined), Accept: 'application/json, */*', 'User-Agent': this.#userAgent };
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['Content-Type'] = req.contentType ?? ContentType.Json;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const options: https.RequestOptions = {
        ...conn.tls,
        method: req.method,
        headers,
        agent: conn.agent,
        ...(auth.auth !== undefined ? { auth: auth.auth } : {}),
        ...(req.signal !== undefined ? { signal: req.signal } : {}),
      };
      const fail = (err: Error): void => {
        this.#metrics?.restRequests.inc({ method: req.method, code: '<error>' });
        reject(
          err.name === 'AbortError'
            ? err
            : new TransportError(`${req.method} ${req.path}: ${err.message}`, { cause: err }),
        );
      };
      const r = (conn.secure ? https : http).request(url, options, (res) => {
        const code = res.statusCode ?? 0;
        this.#metrics?.restRequests.inc({ method: req.method, code: String(code) });
        this.#metrics?.restLatency.observe({ method: req.method }, (performance.now() - started) / 1000);
        this.#onResponse?.(req, code);
        if (stream) {
          r.setTimeout(0);
          resolve({ res });
          return;
        }
        readBody(res).then((body) => resolve({ res, body }), fail);
      });
      // Until the answer starts, every request (watches included) has the timeout; a watch then
      // switches to its own idle timer.
      r.setTimeout(this.#timeoutMs, () => r.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      r.on('error', fail);
      r.end(payload);
    });
  }

  #connection(): Promise<Connection> {
    this.#conn ??= (async () => {
      const cluster = this.#kc.getCurrentCluster();
      if (cluster === null) throw new Error('kubeconfig has no current cluster');
      const base = new URL(cluster.server);
      const secure = base.protocol === 'https:';
      const opts: https.RequestOptions = {};
      await this.#kc.applyToHTTPSOptions(opts);
      const tls: https.AgentOptions = {};
      for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
        if (opts[k] !== undefined) (tls as Record<string, unknown>)[k] = opts[k];
      }
      // Proxies need client-node's agent; otherwise our own keep-alive agent (client-node makes a
      // new agent per call, which would cost a TLS handshake per request).
      const agent =
        cluster.proxyUrl !== undefined && opts.agent instanceof http.Agent
          ? opts.agent
          : secure
            ? new https.Agent({ keepAlive: true, ...tls })
            : new http.Agent({ keepAlive: true });
      return { base, agent, secure, tls };
    })();
    return this.#conn;
  }

  /** Close idle keep-alive connections (at shutdown). */
  async close(): Promise<void> {
    if (this.#conn === undefined) return;
    const conn = await this.#conn.catch(() => undefined);
    conn?.agent.destroy();
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function apiException(res: http.IncomingMessage, text: string): ApiException<unknown> {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const message =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : res.statusMessage ?? `HTTP ${res.statusCode}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
  return new ApiException(res.statusCode ?? 0, message, body, headers);
}
