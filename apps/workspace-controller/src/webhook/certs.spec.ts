import { X509Certificate } from 'node:crypto';
import { KubeClient, Resources } from '@kaito-ts/controller-runtime';
import { FakeApiServer, apiError } from '@kaito-ts/controller-runtime/testing';
import { type CertificatePolicy, ensureCertificates, generateCa, issueServingCertificate, judgeCertificates, renewCertificates, SecretKeys, serviceDnsNames } from './certs.js';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-06-01T00:00:00Z');
const policy: CertificatePolicy = { dnsNames: serviceDnsNames('wc-webhook', 'kaito-system'), ipAddresses: ['127.0.0.1'] };
const later = (ms: number) => new Date(now.getTime() + ms);

describe('judgeCertificates', () => {
  let fresh: Record<string, string>;
  beforeAll(async () => {
    fresh = await renewCertificates(undefined, 'new-ca', policy, now);
  });

  it('asks for a new CA when nothing is stored', () => {
    expect(judgeCertificates(undefined, policy, now)).toEqual({ action: 'new-ca', why: 'no CA stored' });
    expect(judgeCertificates({}, policy, now).action).toBe('new-ca');
  });

  it('reuses fresh certificates, serving what is stored', () => {
    const verdict = judgeCertificates(fresh, policy, now);
    expect(verdict.action).toBe('reuse');
    if (verdict.action === 'reuse') expect(verdict.certificates).toMatchObject({ caBundle: fresh[SecretKeys.caBundle], certPem: fresh[SecretKeys.cert], keyPem: fresh[SecretKeys.key] });
  });

  it('renews the serving certificate within 30 days of its expiry, and the CA within a year of its own', () => {
    expect(judgeCertificates(fresh, policy, later(300 * DAY)).action).toBe('reuse');
    expect(judgeCertificates(fresh, policy, later(340 * DAY))).toMatchObject({ action: 'new-serving', why: expect.stringContaining('the serving certificate expires') });
    expect(judgeCertificates(fresh, policy, later(3300 * DAY))).toMatchObject({ action: 'new-ca', why: expect.stringContaining('the CA expires') });
  });

  it('renews a serving certificate that lacks a wanted name', () => {
    const wider = { ...policy, dnsNames: [...policy.dnsNames, 'other.kaito-system.svc'] };
    expect(judgeCertificates(fresh, wider, now)).toEqual({ action: 'new-serving', why: 'the serving certificate does not name other.kaito-system.svc' });
  });

  it('renews a serving certificate another CA signed', async () => {
    const other = await generateCa(now);
    const foreign = await issueServingCertificate(other, policy, now);
    expect(judgeCertificates({ ...fresh, [SecretKeys.cert]: foreign.certPem, [SecretKeys.key]: foreign.keyPem }, policy, now).action).toBe('new-serving');
  });
});

describe('renewCertificates', () => {
  it('issues a serving certificate for every name, signed by the CA', async () => {
    const data = await renewCertificates(undefined, 'new-ca', policy, now);
    const ca = new X509Certificate(data[SecretKeys.caBundle] ?? '');
    const cert = new X509Certificate(data[SecretKeys.cert] ?? '');
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:wc-webhook, DNS:wc-webhook.kaito-system, DNS:wc-webhook.kaito-system.svc, DNS:wc-webhook.kaito-system.svc.cluster.local, IP Address:127.0.0.1');
    expect(ca.ca).toBe(true);
  });

  it('keeps the CA for a new serving certificate, and the old CA in the bundle for a new CA', async () => {
    const first = await renewCertificates(undefined, 'new-ca', policy, now);
    const serving = await renewCertificates(first, 'new-serving', policy, now);
    expect(serving[SecretKeys.caBundle]).toBe(first[SecretKeys.caBundle]);
    expect(serving[SecretKeys.cert]).not.toBe(first[SecretKeys.cert]);
    const rotated = await renewCertificates(first, 'new-ca', policy, later(3300 * DAY));
    const bundle = rotated[SecretKeys.caBundle] ?? '';
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(bundle).toContain((first[SecretKeys.caBundle] ?? '').trim());
    expect(bundle.startsWith((first[SecretKeys.caBundle] ?? '').trim())).toBe(false);
  });
});

describe('ensureCertificates', () => {
  const setup = () => {
    const server = new FakeApiServer();
    const client = new KubeClient(server, { fieldManager: 'test' });
    const options = { ...policy, client, secretName: 'webhook-cert', namespace: 'kaito-system', now: () => now };
    return { server, client, options };
  };

  it('creates the Secret once and then reuses it without writing', async () => {
    const { server, options } = setup();
    const first = await ensureCertificates(options);
    expect(server.writes({ path: '/secrets' })).toHaveLength(1);
    const second = await ensureCertificates(options);
    expect(second).toEqual(first);
    expect(server.writes({ path: '/secrets' })).toHaveLength(1);
  });

  it('gives replicas starting together the same certificate', async () => {
    const { options } = setup();
    const results = await Promise.all([ensureCertificates(options), ensureCertificates(options), ensureCertificates(options)]);
    expect(new Set(results.map((r) => r.certPem)).size).toBe(1);
  });

  it('fills an empty Secret a chart created', async () => {
    const { client, options } = setup();
    await client.create(Resources.Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook-cert', namespace: 'kaito-system' } });
    const certs = await ensureCertificates(options);
    const stored = await client.get(Resources.Secret, 'webhook-cert', 'kaito-system');
    expect(Buffer.from((stored as { data?: Record<string, string> }).data?.[SecretKeys.cert] ?? '', 'base64').toString()).toBe(certs.certPem);
  });

  it('reads the winner after losing a race to create', async () => {
    const { server, options } = setup();
    const winner = await ensureCertificates(options);
    // This replica read "no Secret" just before the winner created it.
    server.failNext({ method: 'GET', path: '/secrets/webhook-cert' }, apiError(404, 'NotFound', 'secrets "webhook-cert" not found'));
    expect(await ensureCertificates(options)).toEqual(winner);
  });

  it('rotates a serving certificate near expiry and reports why', async () => {
    const { options } = setup();
    const first = await ensureCertificates(options);
    const renewed: string[] = [];
    const second = await ensureCertificates({ ...options, now: () => later(340 * DAY), onRenewed: (why) => renewed.push(why) });
    expect(second.certPem).not.toBe(first.certPem);
    expect(second.caBundle).toBe(first.caBundle);
    expect(renewed).toEqual([expect.stringContaining('the serving certificate expires')]);
  });
});
