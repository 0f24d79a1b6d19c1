import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createCredential, isPublicAuthority, RecoveringCredential } from './credentials.js';

describe('isPublicAuthority', () => {
  it.each([
    [undefined, true],
    ['https://login.microsoftonline.com/', true],
    ['https://login.microsoftonline.us', true],
    ['https://127.0.0.1:8443/', false],
    ['https://adfs.contoso.local/adfs', false],
    ['not a url', false],
  ])('%s → %s', (host, expected) => expect(isPublicAuthority(host)).toBe(expected));
});

describe('createCredential', () => {
  it('with workload-identity settings missing, fails the token request naming them, without throwing at construction', async () => {
    const credential = createCredential('workload-identity', { AZURE_CLIENT_ID: 'c' });
    await expect(credential.getToken('https://management.azure.com/.default')).rejects.toMatchObject({
      name: 'CredentialUnavailableError',
      message: expect.stringMatching(/AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE not set/),
    });
  });
});

describe('RecoveringCredential', () => {
  it('builds a fresh credential after a failed token request, and keeps a working one', async () => {
    const token: AccessToken = { token: 't', expiresOnTimestamp: Date.now() + 3600_000 };
    const results = [new Error('bad assertion'), token, token];
    const built: TokenCredential[] = [];
    const credential = new RecoveringCredential(() => {
      const c: TokenCredential = {
        getToken: async () => {
          const next = results.shift();
          if (next instanceof Error) throw next;
          return next ?? null;
        },
      };
      built.push(c);
      return c;
    });
    await expect(credential.getToken('scope')).rejects.toThrow('bad assertion');
    await expect(credential.getToken('scope')).resolves.toBe(token);
    await expect(credential.getToken('scope')).resolves.toBe(token);
    expect(built).toHaveLength(2);
  });
});
