/**
 * The webhook's HTTPS server (node:https): `POST /validate/workspace.kaito.sh` takes an
 * AdmissionReview and answers one (admission.ts); `GET /healthz` answers `ok` for a probe on the
 * webhook port. Certificates can be swapped while it serves (`setCertificates`): connections
 * made after the swap get the new ones, so a rotation needs no restart.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@kaito-ts/controller-runtime';
import { InvalidReviewError, type Review } from './admission.js';
import type { WebhookCertificates } from './certs.js';

/** Kaito's path, kept so a configuration written for Kaito's webhook reaches ours. */
export const VALIDATE_PATH = '/validate/workspace.kaito.sh';
/** The API server sends at most a few MiB; a larger body is not an AdmissionReview. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface WebhookServerOptions {
  readonly port: number;
  /** Default `0.0.0.0`. */
  readonly host?: string;
  readonly certificates: WebhookCertificates;
  readonly review: (body: unknown) => Promise<Review>;
  readonly logger: Logger;
}

export interface RunningWebhookServer {
  /** `https://host:port`. */
  readonly url: string;
  readonly port: number;
  setCertificates(certificates: WebhookCertificates): void;
  close(): Promise<void>;
}

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new InvalidReviewError(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebhookServer(o: WebhookServerOptions): Promise<RunningWebhookServer> {
  const log = o.logger;
  const server = https.createServer({ cert: o.certificates.certPem, key: o.certificates.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
    const send = (code: number, body: string, type = 'application/json'): void => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    if (path === '/healthz' && req.method === 'GET') return send(200, 'ok', 'text/plain; charset=utf-8');
    if (path !== VALIDATE_PATH) return send(404, JSON.stringify({ error: `not found; the webhook serves POST ${VALIDATE_PATH}` }));
    if (req.method !== 'POST') return send(405, JSON.stringify({ error: 'method not allowed; POST an AdmissionReview' }));
    const started = Date.now();
    void readBody(req)
      .then((text) => o.review(JSON.parse(text) as unknown))
      .then(
        (review) => {
          const { allowed } = review.response.response;
          // Refusals are news; admissions (every finalizer update too) only when debugging.
          log[allowed ? 'debug' : 'info'](allowed ? 'admitted workspace' : 'refused workspace', {
            workspace: review.workspace,
            operation: review.operation,
            durationMs: Date.now() - started,
            ...(allowed ? {} : { fields: review.errors.map((e) => e.path) }),
          });
          send(200, JSON.stringify(review.response));
        },
        (err: unknown) => {
          // A malformed body is the caller's fault (400); anything else is ours (500), and the
          // API server then applies failurePolicy: Fail, refusing the request.
          const bad = err instanceof InvalidReviewError || err instanceof SyntaxError;
          log.warn('admission review failed', { error: err instanceof Error ? err.message : String(err), status: bad ? 400 : 500 });
          send(bad ? 400 : 500, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `https://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    port: addr.port,
    setCertificates(c) {
      server.setSecureContext({ cert: c.certPem, key: c.keyPem, minVersion: 'TLSv1.2' });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
