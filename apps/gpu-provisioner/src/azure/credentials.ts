/**
 * The credential ARM calls use. Nothing here fetches a token: @azure/identity credentials get one
 * on the first ARM call, so a missing or wrong federated token fails that call (the claim's
 * Launched condition and a log line say so, via errors.ts) while the process keeps running and
 * recovers once the token file is right — the reference crash-loops instead.
 */
import type { Agent } from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';

export const CredentialKinds = ['workload-identity', 'default'] as const;
export type CredentialKind = (typeof CredentialKinds)[number];

/** Entra hosts that answer instance discovery; any other authority (Azure Stack, a simulator) must skip it. */
const PUBLIC_AUTHORITIES = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn'];

export const WORKLOAD_IDENTITY_ENV = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;

/** Refuses every token with one message; stands in when the workload-identity env is incomplete. */
class MissingCredential implements TokenCredential {
  readonly #message: string;
  constructor(message: string) {
    this.#message = message;
  }
  getToken(): Promise<AccessToken | null> {
    const err = new Error(this.#message);
    err.name = 'CredentialUnavailableError';
    return Promise.reject(err);
  }
}

export function isPublicAuthority(authorityHost: string | undefined): boolean {
  if (authorityHost === undefined || authorityHost === '') return true;
  try {
    return PUBLIC_AUTHORITIES.includes(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * `workload-identity` (the default): the projected service-account token AKS's webhook mounts,
 * from AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST.
 * `default`: DefaultAzureCredential (managed identity, az login, env secrets).
 */
export function createCredential(kind: CredentialKind, env: Readonly<Record<string, string | undefined>>, options: { agent?: Agent } = {}): TokenCredential {
  return new RecoveringCredential(() => credentialOf(kind, env, options));
}

function credentialOf(kind: CredentialKind, env: Readonly<Record<string, string | undefined>>, options: { agent?: Agent }): TokenCredential {
  if (kind === 'default') return new DefaultAzureCredential({ ...(options.agent !== undefined ? { agent: options.agent } : {}) });
  const missing = WORKLOAD_IDENTITY_ENV.filter((k) => (env[k] ?? '') === '');
  if (missing.length > 0) {
    return new MissingCredential(
      `workload identity is not configured: ${missing.join(', ')} not set; label the pod azure.workload.identity/use=true and annotate its service account azure.workload.identity/client-id, or run with --credential=default`,
    );
  }
  const authorityHost = env['AZURE_AUTHORITY_HOST'];
  return new WorkloadIdentityCredential({
    clientId: env['AZURE_CLIENT_ID'] ?? '',
    tenantId: env['AZURE_TENANT_ID'] ?? '',
    tokenFilePath: env['AZURE_FEDERATED_TOKEN_FILE'] ?? '',
    ...(authorityHost !== undefined && authorityHost !== '' ? { authorityHost } : {}),
    disableInstanceDiscovery: !isPublicAuthority(authorityHost),
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
  });
}

/**
 * Builds the credential again after a failed token request. @azure/identity keeps a workload
 * identity's assertion (the token file's contents) and its MSAL client for minutes, so a fixed
 * token file would only be noticed late; a fresh credential reads it on the next ARM call. No
 * library option does this, hence the wrapper.
 */
export class RecoveringCredential implements TokenCredential {
  readonly #create: () => TokenCredential;
  #current: TokenCredential | undefined;
  constructor(create: () => TokenCredential) {
    this.#create = create;
  }
  async getToken(scopes: string | string[], options?: Parameters<TokenCredential['getToken']>[1]): Promise<AccessToken | null> {
    const credential = (this.#current ??= this.#create());
    try {
      return await credential.getToken(scopes, options);
    } catch (err) {
      if (this.#current === credential) this.#current = undefined;
      throw err;
    }
  }
}
