// A kubeconfig that acts as a ServiceAccount: the admin credentials of the test cluster plus
// `as: system:serviceaccount:<ns>:<sa>`. The API server authorizes every request as that
// ServiceAccount (with its groups), so a controller run with it has exactly the permissions a
// chart grants that ServiceAccount (charts/README.md, "RBAC proof"). The e2e tier reuses it.
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** `system:serviceaccount:<namespace>:<name>`: the user name the API server gives a ServiceAccount. */
export function serviceAccountUser(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/** A copy of `base` whose current user impersonates the ServiceAccount; `base` is left as it was. */
export function impersonatingKubeConfig(base: KubeConfig, sa: ServiceAccountRef): KubeConfig {
  const current = base.getCurrentUser();
  if (current === null) throw new Error('impersonatingKubeConfig: the kubeconfig has no current user to impersonate with');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: base.getClusters(),
    contexts: base.getContexts(),
    currentContext: base.getCurrentContext(),
    users: base.getUsers().map((u) => (u.name === current.name ? { ...u, impersonateUser: serviceAccountUser(sa) } : u)),
  });
  return kc;
}

/** Writes the impersonating kubeconfig to `path` (for a controller run as its own process). */
export function writeImpersonatingKubeconfig(base: KubeConfig, sa: ServiceAccountRef, path: string): string {
  writeFileSync(path, impersonatingKubeConfig(base, sa).exportConfig(), { mode: 0o600 });
  return path;
}
