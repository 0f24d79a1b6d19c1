/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1/localhost, made at
 * start. Clients trust the CA with `NODE_EXTRA_CA_CERTS=<dir>/ca.pem` (or an https Agent's `ca`).
 *
 * Why `openssl` and not an npm package: Node has key generation but no X.509 builder. The
 * candidates are `node-forge` (pure-JS RSA, seconds per key, and a history of signature-parsing
 * CVEs) and `@peculiar/x509` (WebCrypto-based, pulls in a reflect-metadata/tsyringe stack). The
 * `openssl` CLI is on every machine that runs this tool (it is in the base images and on CI),
 * makes the two P-256 certificates in ~50 ms, and adds no dependency to review.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { codedError } from '@kaito-ts/core';

const run = promisify(execFile);

export interface Certificates {
  /** PEM of the CA that signed the server certificate: what clients trust. */
  readonly caPem: string;
  /** Path of `caPem` on disk, for `NODE_EXTRA_CA_CERTS`. */
  readonly caPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export class CertificateError extends codedError('CertificateGenerationFailed') {}

const SERVER_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=IP:127.0.0.1,DNS:localhost',
].join('\n');

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', [...args], { cwd });
  } catch (err) {
    const detail = (err as { stderr?: string; code?: string }).stderr?.trim() || (err as Error).message;
    throw new CertificateError(`openssl ${args[0] ?? ''} failed (is openssl installed and on PATH?): ${detail}`, { cause: err });
  }
}

/** Makes a new CA and server certificate (valid 7 days) in `dir`, replacing any there. */
export async function generateCertificates(dir: string): Promise<Certificates> {
  await mkdir(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '7', '-subj', '/CN=kaito-ts arm-simulator CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', '-new', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  await writeFile(join(dir, 'server.ext'), `${SERVER_EXTENSIONS}\n`);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '7', '-extfile', 'server.ext'], dir);
  const [caPem, certPem, keyPem] = await Promise.all(['ca.pem', 'server.pem', 'server-key.pem'].map((f) => readFile(join(dir, f), 'utf8')));
  return { caPem: caPem ?? '', caPath: join(dir, 'ca.pem'), certPem: certPem ?? '', keyPem: keyPem ?? '' };
}
