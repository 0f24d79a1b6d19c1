/**
 * The webhook's TLS, managed by the controller itself (no cert-manager to install): a CA and a
 * serving certificate kept in one Secret that every replica reads, so all replicas serve the same
 * certificate and the `ValidatingWebhookConfiguration`'s `caBundle` trusts it (configuration.ts).
 *
 * | stored in the Secret                                | verdict       | what is written                      |
 * |-----------------------------------------------------|---------------|--------------------------------------|
 * | nothing usable (missing, empty, unreadable)         | `new-ca`      | a new CA and serving certificate     |
 * | a CA within `renewBeforeMs` of expiry               | `new-ca`      | the same; `ca.crt` keeps the old CA  |
 * |                                                     |               | next to the new one while it is valid |
 * | a serving cert near expiry, not from the CA, or     | `new-serving` | a serving certificate from the CA    |
 * | missing a wanted DNS name or IP                     |               |                                      |
 * | otherwise                                           | `reuse`       | nothing                              |
 *
 * Replicas race safely: the Secret is created once (AlreadyExists → read the winner's) and
 * replaced only at the `resourceVersion` read (Conflict → read again and judge what is there).
 *
 * Why `@peculiar/x509`: Node has key generation (WebCrypto) and certificate parsing
 * (`X509Certificate`) but no certificate builder, and the production image runs non-root on a
 * read-only root filesystem, possibly without the `openssl` CLI the ARM simulator shells out to.
 * `@peculiar/x509` builds certificates in process on Node's own WebCrypto (P-256 keys in
 * milliseconds) and is widely used and maintained; `node-forge` does its RSA in JavaScript
 * (seconds per key) and has a history of signature-parsing CVEs. Its dependency injection
 * (tsyringe) needs the `reflect-metadata` polyfill loaded first, hence the import below.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isAlreadyExists, isConflict, type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const DAY_MS = 24 * 60 * 60 * 1000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Secret keys (the `kubernetes.io/tls` pair, plus the CA a replica signs renewals with). */
export const SecretKeys = { caBundle: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

export interface CertificatePolicy {
  /** DNS names and IP addresses the serving certificate must cover. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** Default 10 years / 1 year. */
  readonly caValidityMs?: number;
  readonly certValidityMs?: number;
  /** Renew a certificate this long before it expires. Default 30 days (a year for the CA). */
  readonly renewBeforeMs?: number;
  readonly caRenewBeforeMs?: number;
}

/** What the server serves and the webhook configuration trusts. */
export interface WebhookCertificates {
  /** PEM of the current CA, then any previous CA still valid: the `caBundle`. */
  readonly caBundle: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

type Stored = Readonly<Record<string, string>>;

export type CertificateVerdict = { readonly action: 'reuse'; readonly certificates: WebhookCertificates } | { readonly action: 'new-ca' | 'new-serving'; readonly why: string };

/** The webhook Service's DNS names, short to fully qualified. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function parse(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined || pem.trim() === '') return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

const expiry = (c: X509Certificate): Date => new Date(c.validTo);

/** `DNS:a, IP Address:127.0.0.1` → the names and addresses. */
function sans(c: X509Certificate): Set<string> {
  return new Set((c.subjectAltName ?? '').split(', ').map((s) => s.replace(/^DNS:/, '').replace(/^IP Address:/, '')));
}

/** Judges what the Secret holds (a pure function of its data, the policy and `now`). */
export function judgeCertificates(stored: Stored | undefined, policy: CertificatePolicy, now: Date): CertificateVerdict {
  const renewBefore = policy.renewBeforeMs ?? 30 * DAY_MS;
  const caRenewBefore = policy.caRenewBeforeMs ?? 365 * DAY_MS;
  const bundle = stored?.[SecretKeys.caBundle] ?? '';
  const ca = parse(pemBlocks(bundle)[0]);
  if (ca === undefined || (stored?.[SecretKeys.caKey] ?? '') === '') return { action: 'new-ca', why: 'no CA stored' };
  if (expiry(ca).getTime() - now.getTime() < caRenewBefore) return { action: 'new-ca', why: `the CA expires ${ca.validTo}` };
  const cert = parse(stored?.[SecretKeys.cert]);
  const keyPem = stored?.[SecretKeys.key] ?? '';
  if (cert === undefined || keyPem === '') return { action: 'new-serving', why: 'no serving certificate stored' };
  if (!cert.verify(ca.publicKey)) return { action: 'new-serving', why: 'the serving certificate is not signed by the stored CA' };
  if (expiry(cert).getTime() - now.getTime() < renewBefore) return { action: 'new-serving', why: `the serving certificate expires ${cert.validTo}` };
  const have = sans(cert);
  const missing = [...policy.dnsNames, ...policy.ipAddresses].filter((n) => !have.has(n));
  if (missing.length > 0) return { action: 'new-serving', why: `the serving certificate does not name ${missing.join(', ')}` };
  return { action: 'reuse', certificates: { caBundle: bundle, certPem: stored?.[SecretKeys.cert] ?? '', keyPem, notAfter: expiry(cert) } };
}

const serial = (): string => randomBytes(16).toString('hex').replace(/^[89a-f]/, '7');

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), ALGORITHM, false, ['sign']);
}

/** A new self-signed CA (PEM certificate and PKCS#8 key). */
export async function generateCa(now: Date, validityMs = 3650 * DAY_MS): Promise<{ certPem: string; keyPem: string }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=kaito-ts workspace-controller webhook CA',
    notBefore: new Date(now.getTime() - 60_000), // clock skew between replicas and the API server
    notAfter: new Date(now.getTime() + validityMs),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A serving certificate for `policy`'s names, signed by the CA. */
export async function issueServingCertificate(ca: { certPem: string; keyPem: string }, policy: CertificatePolicy, now: Date): Promise<{ certPem: string; keyPem: string }> {
  const issuer = new x509.X509Certificate(ca.certPem);
  const keys = await keyPair();
  const names = [...policy.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...policy.ipAddresses.map((value) => ({ type: 'ip' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${policy.dnsNames[0] ?? policy.ipAddresses[0] ?? 'webhook'}`,
    issuer: issuer.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(Math.min(now.getTime() + (policy.certValidityMs ?? 365 * DAY_MS), issuer.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: await importPrivateKey(ca.keyPem),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** New Secret data for a verdict other than `reuse`, keeping what may be kept. */
export async function renewCertificates(stored: Stored | undefined, action: 'new-ca' | 'new-serving', policy: CertificatePolicy, now: Date): Promise<Record<string, string>> {
  let ca = { certPem: pemBlocks(stored?.[SecretKeys.caBundle] ?? '')[0] ?? '', keyPem: stored?.[SecretKeys.caKey] ?? '' };
  let bundle = stored?.[SecretKeys.caBundle] ?? '';
  if (action === 'new-ca') {
    const previous = pemBlocks(bundle).filter((pem) => {
      const c = parse(pem);
      return c !== undefined && expiry(c) > now;
    });
    ca = await generateCa(now, policy.caValidityMs);
    // The old CA stays trusted while replicas may still serve certificates it signed.
    bundle = [ca.certPem, ...previous.slice(0, 1)].map((p) => p.trim()).join('\n') + '\n';
  }
  const serving = await issueServingCertificate(ca, policy, now);
  return { [SecretKeys.caBundle]: bundle, [SecretKeys.caKey]: ca.keyPem, [SecretKeys.cert]: serving.certPem, [SecretKeys.key]: serving.keyPem };
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const decodeData = (s: SecretObject | undefined): Stored | undefined =>
  s?.data === undefined ? undefined : Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const encodeData = (d: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

export interface EnsureCertificatesOptions extends CertificatePolicy {
  readonly client: KubeClient;
  readonly secretName: string;
  readonly namespace: string;
  readonly now?: () => Date;
  /** Called when this replica wrote new certificates (for a log line). */
  readonly onRenewed?: (why: string) => void;
}

/**
 * The webhook's certificates from the Secret: reused when valid, else renewed and written, with
 * creation and updates that tolerate other replicas doing the same at once.
 */
export async function ensureCertificates(o: EnsureCertificatesOptions): Promise<WebhookCertificates> {
  const now = o.now ?? (() => new Date());
  for (let attempt = 1; ; attempt++) {
    const secret = (await o.client.find(Resources.Secret, o.secretName, o.namespace)) as SecretObject | undefined;
    const stored = decodeData(secret);
    const verdict = judgeCertificates(stored, o, now());
    if (verdict.action === 'reuse') return verdict.certificates;
    const data = encodeData(await renewCertificates(stored, verdict.action, o, now()));
    try {
      if (secret === undefined) {
        await o.client.create(Resources.Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: o.secretName, namespace: o.namespace }, type: 'Opaque', data } as SecretObject);
      } else {
        await o.client.replace(Resources.Secret, { ...secret, data } as SecretObject);
      }
      o.onRenewed?.(verdict.why);
    } catch (err) {
      // Another replica wrote first: judge what it stored on the next pass.
      if (!(isAlreadyExists(err) || isConflict(err)) || attempt >= 5) throw err;
    }
  }
}
