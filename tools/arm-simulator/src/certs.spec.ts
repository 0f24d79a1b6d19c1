import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode } from '@kaito-ts/core';
import { CertificateError, generateCertificates } from './certs.js';

describe('generateCertificates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arm-sim-certs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a CA and a server certificate it signed', async () => {
    const certs = await generateCertificates(dir);
    expect(certs.caPath).toBe(join(dir, 'ca.pem'));
    expect(certs.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(certs.certPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(certs.keyPem).toMatch(/PRIVATE KEY-----/);
  });

  it('fails with a coded CertificateError carrying what openssl said', async () => {
    // A directory where openssl must write the CA key: openssl itself fails, even as root.
    await mkdir(join(dir, 'ca-key.pem'));
    const err: unknown = await generateCertificates(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CertificateError);
    expect(err).toMatchObject({ name: 'CertificateError', code: 'CertificateGenerationFailed', message: expect.stringMatching(/^openssl req failed \(is openssl installed and on PATH\?\): .+/) });
    expect(hasCode(err, 'CertificateGenerationFailed')).toBe(true);
  });
});
