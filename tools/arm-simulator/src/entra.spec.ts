import { Entra } from './entra.js';

const TENANT = 'tenant-1';
const CLIENT = 'client-1';

function setup(): { entra: Entra; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const entra = new Entra({ tenantId: TENANT, clientId: CLIENT, federatedToken: 'projected', tokenLifetimeSeconds: 60 }, () => 'https://127.0.0.1:1', () => clock.now);
  return { entra, clock };
}

function tokenRequest(entra: Entra, fields: Record<string, string>, tenant = TENANT) {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: CLIENT,
    scope: 'https://management.azure.com/.default',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: 'projected',
    ...fields,
  });
  const res = entra.handle('POST', `/${tenant}/oauth2/v2.0/token`, new URLSearchParams(), form.toString());
  if (res === undefined) throw new Error('not an Entra path');
  return res as { status: number; body: { access_token?: string; error?: string; error_codes?: number[] } };
}

describe('Entra token endpoint', () => {
  it('issues a token for the trusted assertion, valid until it expires', () => {
    const { entra, clock } = setup();
    const res = tokenRequest(entra, {});
    expect(res.status).toBe(200);
    const token = res.body.access_token ?? '';
    expect(entra.validToken(token)).toBe(true);
    clock.now += 61_000;
    expect(entra.validToken(token)).toBe(false);
  });

  it.each([
    ['a wrong tenant', {}, 'other-tenant', 400, 'invalid_tenant', 90002],
    ['an unknown client id', { client_id: 'nobody' }, TENANT, 400, 'unauthorized_client', 700016],
    ['no assertion', { client_assertion: '' }, TENANT, 400, 'invalid_request', 7000216],
    ['a wrong assertion', { client_assertion: 'stolen' }, TENANT, 401, 'invalid_client', 700213],
    ['a scope without /.default', { scope: 'https://management.azure.com/' }, TENANT, 400, 'invalid_scope', 1002012],
  ])('refuses %s with the AADSTS error', (_what, fields, tenant, status, error, code) => {
    const res = tokenRequest(setup().entra, fields, tenant);
    expect([res.status, res.body.error, res.body.error_codes]).toEqual([status, error, [code]]);
    expect(res.body.access_token).toBeUndefined();
  });

  it('accepts a new projected token once the federated credential is changed, and no longer the old one', () => {
    const { entra } = setup();
    entra.setFederatedToken('rotated');
    expect(tokenRequest(entra, {}).status).toBe(401);
    expect(tokenRequest(entra, { client_assertion: 'rotated' }).status).toBe(200);
  });

  it('serves OpenID metadata whose issuer is on its own origin', () => {
    const res = setup().entra.handle('GET', `/${TENANT}/v2.0/.well-known/openid-configuration`, new URLSearchParams(), '');
    expect(res?.body).toMatchObject({ issuer: `https://127.0.0.1:1/${TENANT}/v2.0`, token_endpoint: `https://127.0.0.1:1/${TENANT}/oauth2/v2.0/token` });
  });
});
