/**
 * The Entra ID (Azure AD) endpoints @azure/identity's WorkloadIdentityCredential reaches through
 * MSAL: instance discovery, the tenant's OpenID configuration, and the v2.0 token endpoint with a
 * client assertion (`grant_type=client_credentials`, `client_assertion_type=…jwt-bearer`). A token
 * is issued only when the assertion is the projected service-account token the simulator was
 * configured with (a federated credential matching it); otherwise an AADSTS error, as Entra sends.
 * Issued tokens are opaque random strings; the ARM side accepts only those, until they expire.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ArmResponse } from './arm-error.js';

export interface EntraConfig {
  readonly tenantId: string;
  readonly clientId: string;
  /** The projected token (contents of AZURE_FEDERATED_TOKEN_FILE) that the federated credential trusts. */
  readonly federatedToken: string;
  readonly tokenLifetimeSeconds: number;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/;
const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/;

export class Entra {
  readonly #config: EntraConfig;
  readonly #baseUrl: () => string;
  readonly #now: () => number;
  /** token → expiry (epoch ms) */
  readonly #issued = new Map<string, number>();
  #federatedToken: string;

  constructor(config: EntraConfig, baseUrl: () => string, now: () => number = Date.now) {
    this.#config = config;
    this.#federatedToken = config.federatedToken;
    this.#baseUrl = baseUrl;
    this.#now = now;
  }

  /** Changes which projected token the federated credential trusts (a credential re-created or fixed). */
  setFederatedToken(token: string): void {
    this.#federatedToken = token;
  }

  /** Forgets every issued token: the next ARM call with an old one gets 401. */
  revokeAll(): void {
    this.#issued.clear();
  }

  /** Whether this bearer token was issued here and has not expired. */
  validToken(token: string): boolean {
    const expiry = this.#issued.get(token);
    if (expiry === undefined) return false;
    if (expiry > this.#now()) return true;
    this.#issued.delete(token);
    return false;
  }

  /** The response for an Entra path, or undefined if the path is not Entra's. */
  handle(method: string, path: string, query: URLSearchParams, rawBody: string): ArmResponse | undefined {
    if (method === 'GET' && path === '/common/discovery/instance') return this.#instanceDiscovery(query);
    const openid = OPENID_PATH.exec(path);
    if (method === 'GET' && openid !== null) return this.#openidConfiguration(openid[1] ?? '');
    const token = TOKEN_PATH.exec(path);
    if (method === 'POST' && token !== null) return this.#token(token[1] ?? '', new URLSearchParams(rawBody));
    return undefined;
  }

  #host(): string {
    return new URL(this.#baseUrl()).host;
  }

  #instanceDiscovery(query: URLSearchParams): ArmResponse {
    const host = this.#host();
    const tenant = /^https:\/\/[^/]+\/([^/]+)\//.exec(query.get('authorization_endpoint') ?? '')?.[1] ?? this.#config.tenantId;
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${this.#baseUrl()}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  #openidConfiguration(tenant: string): ArmResponse {
    if (tenant !== this.#config.tenantId && tenant !== 'common' && tenant !== 'organizations') return this.#tenantNotFound(tenant);
    const base = `${this.#baseUrl()}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${this.#baseUrl()}/${tenant}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${this.#baseUrl()}/${tenant}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
      },
    };
  }

  #token(tenant: string, form: URLSearchParams): ArmResponse {
    if (tenant !== this.#config.tenantId) return this.#tenantNotFound(tenant);
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'; this endpoint serves client_credentials.`);
    }
    const clientId = form.get('client_id') ?? '';
    if (clientId !== this.#config.clientId) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. Check AZURE_CLIENT_ID.`);
    }
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== JWT_BEARER || assertion === null || assertion === '') {
      return aadError(400, 'invalid_request', 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.");
    }
    if (!sameSecret(assertion, this.#federatedToken)) {
      return aadError(
        401,
        'invalid_client',
        700213,
        `No matching federated identity record found for presented assertion subject for application '${clientId}'. Check the federated identity credential (issuer, subject, audience) and AZURE_FEDERATED_TOKEN_FILE.`,
      );
    }
    const scope = form.get('scope') ?? '';
    if (!scope.split(' ').some((s) => s.endsWith('/.default'))) {
      return aadError(400, 'invalid_scope', 1002012, `The provided value for scope '${scope}' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    }
    const token = randomBytes(32).toString('base64url');
    const lifetime = this.#config.tokenLifetimeSeconds;
    this.#issued.set(token, this.#now() + lifetime * 1000);
    return { status: 200, body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
  }

  #tenantNotFound(tenant: string): ArmResponse {
    return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check AZURE_TENANT_ID.`);
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Entra's OAuth error body: `AADSTS<code>: <message>` plus ids and a timestamp. */
export function aadError(status: number, error: string, code: number, message: string): ArmResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}
