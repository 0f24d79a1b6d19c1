import * as https from 'node:https';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { renewCertificates, SecretKeys, type WebhookCertificates } from './certs.js';
import { startWebhookServer, VALIDATE_PATH, type RunningWebhookServer } from './server.js';
import type { Review } from './admission.js';

const policy = { dnsNames: ['webhook.kaito-system.svc'], ipAddresses: ['127.0.0.1'] };

async function certificates(): Promise<WebhookCertificates> {
  const d = await renewCertificates(undefined, 'new-ca', policy, new Date());
  return { caBundle: d[SecretKeys.caBundle] ?? '', certPem: d[SecretKeys.cert] ?? '', keyPem: d[SecretKeys.key] ?? '', notAfter: new Date() };
}

function call(port: number, ca: string, method: string, path: string, body?: string): Promise<{ status: number; body: string; peerCert: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, ca, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), peerCert: peer }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startWebhookServer', () => {
  let server: RunningWebhookServer;
  let certs: WebhookCertificates;
  const bodies: unknown[] = [];
  const review = async (body: unknown): Promise<Review> => {
    bodies.push(body);
    if ((body as { fail?: boolean }).fail === true) throw new Error('boom');
    return { response: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } }, errors: [] };
  };

  beforeAll(async () => {
    certs = await certificates();
    server = await startWebhookServer({ port: 0, host: '127.0.0.1', certificates: certs, review, logger: silentLogger() });
  });
  afterAll(() => server.close());

  it('answers a POSTed review over TLS that a client trusting only the CA accepts', async () => {
    const res = await call(server.port, certs.caBundle, 'POST', VALIDATE_PATH, JSON.stringify({ a: 1 }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } });
    expect(bodies).toContainEqual({ a: 1 });
  });

  it('is refused by a client that trusts another CA', async () => {
    const other = await certificates();
    await expect(call(server.port, other.caBundle, 'GET', '/healthz')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it.each([
    ['GET', '/healthz', undefined, 200],
    ['GET', VALIDATE_PATH, undefined, 405],
    ['POST', '/other', '{}', 404],
    ['POST', VALIDATE_PATH, 'not json', 400],
    ['POST', VALIDATE_PATH, '{"fail":true}', 500],
  ])('%s %s answers %d', async (method, path, body, status) => {
    expect((await call(server.port, certs.caBundle, method, path, body)).status).toBe(status);
  });

  it('serves new certificates after setCertificates, without a restart', async () => {
    const before = await call(server.port, certs.caBundle, 'GET', '/healthz');
    const next = await certificates();
    server.setCertificates(next);
    const after = await call(server.port, next.caBundle, 'GET', '/healthz');
    expect(after.status).toBe(200);
    expect(after.peerCert).not.toBe(before.peerCert);
    certs = next;
  });
});
