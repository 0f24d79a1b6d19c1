/**
 * Registry credentials from a Docker `config.json` (the mounted imagePushSecret's
 * `.dockerconfigjson`). Credential helpers cannot run in the tuning image, so a config that
 * only names one is an error, not a silent anonymous push.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryAuthError } from '../errors.js';

export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'identity-token'; readonly username: string; readonly token: string }
  | { readonly kind: 'registry-token'; readonly token: string };

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

function hostOf(key: string): string {
  const stripped = key.replace(/^https?:\/\//, '');
  return stripped.split('/')[0] ?? stripped;
}

function keysFor(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry];
}

/** Credentials for `registry` from `<dir>/config.json`, or undefined when it has none for that host. */
export function loadCredentials(dir: string, registry: string): Promise<Credentials | undefined> {
  return loadCredentialsFile(join(dir, 'config.json'), registry);
}

/** Credentials for `registry` from a Docker config file (skopeo's `--authfile`); undefined when there is none. */
export async function loadCredentialsFile(path: string, registry: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegistryAuthError(`cannot read ${path}: ${(err as Error).message}`, undefined, { cause: err });
  }
  let doc: { auths?: Record<string, AuthEntry>; credHelpers?: Record<string, string>; credsStore?: string };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new RegistryAuthError(`${path} is not valid JSON`, undefined, { cause: err });
  }
  const wanted = new Set(keysFor(registry));
  const entries = Object.entries(doc.auths ?? {}).filter(([key]) => wanted.has(hostOf(key)) || wanted.has(key));
  for (const [key, entry] of entries) {
    const creds = credentialsOf(entry, `${path} auths["${key}"]`);
    if (creds) return creds;
  }
  const helper = doc.credHelpers?.[registry] ?? doc.credsStore;
  if (helper) {
    throw new RegistryAuthError(
      `${path} delegates ${registry} to the credential helper "${helper}", which the tuning image cannot run; use a kubernetes.io/dockerconfigjson secret with auths`,
    );
  }
  return undefined;
}

function credentialsOf(entry: AuthEntry, where: string): Credentials | undefined {
  if (typeof entry.registrytoken === 'string' && entry.registrytoken) return { kind: 'registry-token', token: entry.registrytoken };
  let username = typeof entry.username === 'string' ? entry.username : undefined;
  let password = typeof entry.password === 'string' ? entry.password : undefined;
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new RegistryAuthError(`${where}.auth is not base64 of "user:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) {
    return { kind: 'identity-token', username: username ?? '<token>', token: entry.identitytoken };
  }
  if (username !== undefined && password !== undefined) return { kind: 'basic', username, password };
  return undefined;
}
