import { KubeConfig } from '@kubernetes/client-node';
import { impersonatingKubeConfig, serviceAccountUser } from './impersonate.js';

const base = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [
      { name: 'admin', certData: 'Y2VydA==', keyData: 'a2V5' },
      { name: 'other', token: 't' },
    ],
    contexts: [{ name: 'x', cluster: 'c', user: 'admin' }],
    currentContext: 'x',
  });
  return kc;
};

describe('impersonatingKubeConfig', () => {
  it('names the ServiceAccount the way the API server does', () => {
    expect(serviceAccountUser({ namespace: 'kaito-system', name: 'workspace-controller' })).toBe('system:serviceaccount:kaito-system:workspace-controller');
  });

  it('keeps the current user’s credentials and adds the impersonation, leaving the original untouched', async () => {
    const original = base();
    const kc = impersonatingKubeConfig(original, { namespace: 'ns', name: 'sa' });
    expect(kc.getCurrentUser()).toMatchObject({ name: 'admin', certData: 'Y2VydA==', impersonateUser: 'system:serviceaccount:ns:sa' });
    expect(original.getCurrentUser()?.impersonateUser).toBeUndefined();
    expect(kc.exportConfig()).toContain('"as":"system:serviceaccount:ns:sa"');
    const opts: { headers?: Record<string, unknown> } = {};
    await kc.applyToHTTPSOptions(opts as never);
    expect(opts.headers?.['Impersonate-User']).toBe('system:serviceaccount:ns:sa');
  });

  it('refuses a kubeconfig without a current user', () => {
    expect(() => impersonatingKubeConfig(new KubeConfig(), { namespace: 'ns', name: 'sa' })).toThrow('no current user');
  });
});
