/**
 * The simulator process: one HTTPS server on 127.0.0.1 serving ARM (Bearer token required), Entra
 * and the admin API, plus a ticker that finishes due creates and deletes even when nobody polls.
 *
 * Routing is a handful of regular expressions rather than a web framework: the paths are fixed by
 * ARM and Entra, and node's `https` server plus ~40 lines keeps the dependency list short.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { decode, formatIssue } from '@kaito-ts/core';
import type { Logger } from '@kaito-ts/logging';
import { findSku } from '@kaito-ts/presets';
import * as t from 'io-ts';
import { ArmState, type ClusterConfig, type PowerState } from './arm.js';
import { armError, type ArmResponse } from './arm-error.js';
import { type Certificates, generateCertificates } from './certs.js';
import { Entra, type EntraConfig } from './entra.js';
import { FaultBook, FaultSpec } from './faults.js';
import { MemoryNodeSink, type NodeSink } from './node-sink.js';
import { RequestLog } from './request-log.js';

export interface ArmSimulatorOptions {
  /** 0: any free port. */
  readonly port: number;
  /** Where the CA and server certificate are written (`<stateDir>/tls/ca.pem`). */
  readonly stateDir: string;
  readonly cluster: ClusterConfig;
  readonly entra: EntraConfig;
  readonly createDelayMs: number;
  readonly deleteDelayMs: number;
  readonly pageSize: number;
  readonly pollRetryAfterSeconds?: number;
  readonly powerState?: PowerState;
  readonly faults?: readonly FaultSpec[];
  /** Default: nodes are only remembered (no cluster). */
  readonly nodes?: NodeSink;
  readonly logger?: Logger;
  /** How often due transitions are finished. Default 100 ms. */
  readonly tickMs?: number;
}

export interface RunningArmSimulator {
  /** `https://127.0.0.1:<port>`: the ARM endpoint and the authority host. */
  readonly url: string;
  readonly port: number;
  readonly certificates: Certificates;
  readonly state: ArmState;
  readonly faults: FaultBook;
  readonly entra: Entra;
  readonly requests: RequestLog;
  readonly nodes: NodeSink;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

export async function startArmSimulator(options: ArmSimulatorOptions): Promise<RunningArmSimulator> {
  const certificates = await generateCertificates(join(options.stateDir, 'tls'));
  let url = '';
  const baseUrl = (): string => url;
  const sameSku = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase() || (findSku(a)?.name ?? a) === (findSku(b)?.name ?? b);
  const faults = new FaultBook(sameSku);
  for (const spec of options.faults ?? []) faults.add(spec);
  const nodes = options.nodes ?? new MemoryNodeSink();
  const state = new ArmState({
    cluster: options.cluster,
    createDelayMs: options.createDelayMs,
    deleteDelayMs: options.deleteDelayMs,
    pageSize: options.pageSize,
    ...(options.pollRetryAfterSeconds !== undefined ? { pollRetryAfterSeconds: options.pollRetryAfterSeconds } : {}),
    nodes,
    faults,
    baseUrl,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  if (options.powerState !== undefined) await state.setPowerState(options.powerState);
  const entra = new Entra(options.entra, baseUrl);
  const requests = new RequestLog();
  const admin = adminHandler({ state, faults, entra, requests });

  const server: Server = createServer({ cert: certificates.certPem, key: certificates.keyPem }, (req, res) => {
    const started = Date.now();
    void serve(req, { state, entra, admin }).then(
      (response) => {
        send(req, res, response);
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (!path.startsWith('/admin/')) {
          const code = errorCode(response.body);
          requests.record({ time: new Date(started).toISOString(), method: req.method ?? '', path, status: response.status, durationMs: Date.now() - started, ...(code !== undefined ? { code } : {}) });
        }
      },
      (err: unknown) => {
        options.logger?.error('request failed', { method: req.method, path: req.url?.split('?')[0], error: (err as Error).message });
        send(req, res, armError(500, { code: 'InternalServerError', message: 'The simulator failed to handle the request; see its log.' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `https://127.0.0.1:${port}`;
  const ticker = setInterval(() => void state.advance(), options.tickMs ?? 100);
  ticker.unref();
  options.logger?.info('arm simulator listening', { url, caPath: certificates.caPath, cluster: options.cluster.name });
  return {
    url,
    port,
    certificates,
    state,
    faults,
    entra,
    requests,
    nodes,
    close: async () => {
      clearInterval(ticker);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

interface Handlers {
  readonly state: ArmState;
  readonly entra: Entra;
  readonly admin: (method: string, path: string, query: URLSearchParams, body: unknown) => Promise<ArmResponse>;
}

async function serve(req: IncomingMessage, h: Handlers): Promise<ArmResponse> {
  const parsed = new URL(req.url ?? '/', 'https://127.0.0.1');
  const method = req.method ?? 'GET';
  const path = parsed.pathname;
  const raw = await readBody(req);
  if (raw === undefined) return armError(413, { code: 'RequestEntityTooLarge', message: `The request body is larger than ${MAX_BODY_BYTES} bytes.` });
  const entraResponse = h.entra.handle(method, path, parsed.searchParams, raw);
  if (entraResponse !== undefined) return entraResponse;
  let body: unknown;
  if (raw !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      return armError(400, { code: 'InvalidRequestContent', message: 'The request content was invalid and could not be deserialized: the body is not JSON.' });
    }
  }
  if (path.startsWith('/admin/')) return h.admin(method, path, parsed.searchParams, body);
  const auth = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  if (bearer === undefined) {
    return armError(401, { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." }, { 'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."' });
  }
  if (!h.entra.validToken(bearer)) {
    return armError(401, { code: 'InvalidAuthenticationToken', message: 'The access token is invalid or has expired (not issued by this simulator’s token endpoint).' }, { 'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The access token is invalid."' });
  }
  return h.state.handle({ method, path, query: parsed.searchParams, body });
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(req: IncomingMessage, res: ServerResponse, response: ArmResponse): void {
  const requestId = randomUUID();
  const correlation = req.headers['x-ms-correlation-request-id'];
  res.statusCode = response.status;
  res.setHeader('x-ms-request-id', requestId);
  res.setHeader('x-ms-correlation-request-id', typeof correlation === 'string' ? correlation : requestId);
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') res.setHeader('x-ms-client-request-id', clientRequestId);
  for (const [k, v] of Object.entries(response.headers ?? {})) res.setHeader(k, v);
  if (response.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(response.body));
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') return (error as { code: string }).code;
  return undefined;
}

const PowerStateBody = t.type({ code: t.keyof({ Running: null, Stopped: null }, '"Running" | "Stopped"') }, 'PowerState');
const FederatedTokenBody = t.type({ token: t.string }, 'FederatedToken');

/**
 * The admin API (no auth: it listens on 127.0.0.1 only):
 *   GET    /admin/requests?since=<seq>   request log          DELETE /admin/requests   reset log + counters
 *   GET    /admin/counters               counts by route      GET    /admin/state      pools, operations, power state
 *   GET    /admin/faults                 active rules         POST   /admin/faults     add a rule (FaultSpec)
 *   DELETE /admin/faults                 remove all           DELETE /admin/faults/<id>
 *   PUT    /admin/power-state {code}     Running | Stopped    PUT    /admin/federated-token {token}
 *   POST   /admin/revoke-tokens          invalidate issued tokens
 */
function adminHandler(x: { state: ArmState; faults: FaultBook; entra: Entra; requests: RequestLog }) {
  const invalid = (what: string, issues: string): ArmResponse => armError(400, { code: 'InvalidRequestContent', message: `${what} is invalid: ${issues}` });
  return async (method: string, path: string, query: URLSearchParams, body: unknown): Promise<ArmResponse> => {
    const route = `${method} ${path.replace(/\/$/, '')}`;
    switch (route) {
      case 'GET /admin/requests':
        return { status: 200, body: { requests: x.requests.requests(Number(query.get('since') ?? '0') || 0) } };
      case 'DELETE /admin/requests':
        x.requests.reset();
        return { status: 204 };
      case 'GET /admin/counters':
        return { status: 200, body: { counters: x.requests.counters() } };
      case 'GET /admin/state':
        return { status: 200, body: x.state.snapshot() };
      case 'GET /admin/faults':
        return { status: 200, body: { faults: x.faults.list() } };
      case 'POST /admin/faults': {
        const d = decode(FaultSpec, body);
        if (!d.ok) return invalid('fault', `${d.issues.map(formatIssue).join('; ')} (example: {"kind":"TooManyRequests","retryAfterSeconds":5,"times":1})`);
        return { status: 201, body: x.faults.add(d.value) };
      }
      case 'DELETE /admin/faults':
        x.faults.clear();
        return { status: 204 };
      case 'PUT /admin/power-state': {
        const d = decode(PowerStateBody, body);
        if (!d.ok) return invalid('power state', `${d.issues.map(formatIssue).join('; ')} (example: {"code":"Stopped"})`);
        await x.state.setPowerState(d.value.code);
        return { status: 200, body: { code: d.value.code } };
      }
      case 'PUT /admin/federated-token': {
        const d = decode(FederatedTokenBody, body);
        if (!d.ok) return invalid('federated token', `${d.issues.map(formatIssue).join('; ')} (example: {"token":"<projected token>"})`);
        x.entra.setFederatedToken(d.value.token);
        return { status: 204 };
      }
      case 'POST /admin/revoke-tokens':
        x.entra.revokeAll();
        return { status: 204 };
      default: {
        const faultId = /^DELETE \/admin\/faults\/([^/]+)$/.exec(route)?.[1];
        if (faultId !== undefined) {
          return x.faults.remove(faultId) ? { status: 204 } : armError(404, { code: 'NotFound', message: `fault ${faultId} does not exist (GET /admin/faults lists them)` });
        }
        return armError(404, { code: 'NotFound', message: `no admin endpoint ${route}; see docs/arm-simulator.md` });
      }
    }
  };
}
