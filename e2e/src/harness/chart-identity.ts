/**
 * A process's identity from its Helm chart, so the e2e tier proves the chart's RBAC is what the
 * program needs (docs/charts.md, "RBAC proof"): `helm template` of charts/<chart> with the values
 * the run needs, only the ServiceAccount and RBAC objects applied (the Deployment would run an
 * image this machine cannot pull), and a kubeconfig impersonating that ServiceAccount
 * (`as: system:serviceaccount:<ns>:<sa>`). Each process gets its own release in the namespace the
 * chart would be installed in (the Workspace namespace, the kwok cloud namespace), so the
 * chart's namespaced Roles land where the program works. Cluster-scoped objects are removed
 * after the file's tests.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { binaryPath, clusterPaths, ensureBinaries } from '@kaito-ts/cluster';
import { writeImpersonatingKubeconfig } from '@kaito-ts/cluster/testing';
import { kubectl, kubectlApply } from './kubectl.js';
import { kubeconfigPath, repoRoot } from './repo.js';

export type ChartName = 'workspace-controller' | 'gpu-provisioner' | 'kwok-provisioner';

const IDENTITY_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

export interface ChartIdentityOptions {
  readonly chart: ChartName;
  /** Unique per process of a run (it names the cluster-scoped ClusterRole and binding). */
  readonly release: string;
  readonly namespace: string;
  /** `--set` values. */
  readonly set?: readonly string[];
  readonly setString?: readonly string[];
  /**
   * Objects beyond the chart's, applied with it: only what a test-only mode needs (say why at the
   * call site); never a permission the chart's production path lacks.
   */
  readonly testOnlyGrants?: string;
  /** The log of the process run as this identity: a refusal in it fails the file. */
  readonly logFile: string;
}

export interface ChartIdentity {
  readonly kubeconfig: string;
  readonly serviceAccount: { readonly namespace: string; readonly name: string };
}

async function helmTemplate(o: ChartIdentityOptions): Promise<string> {
  const paths = clusterPaths();
  await ensureBinaries(paths, { names: ['helm'] });
  const args = ['template', o.release, join(repoRoot(), 'charts', o.chart), '--namespace', o.namespace, ...(o.set ?? []).flatMap((s) => ['--set', s]), ...(o.setString ?? []).flatMap((s) => ['--set-string', s])];
  return new Promise((resolve, reject) => {
    execFile(binaryPath(paths, 'helm'), args, { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`helm template ${o.chart} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The documents of `yaml` whose kind is an identity kind (kept as text: kubectl reads them). */
function identityDocuments(yaml: string): string[] {
  return yaml.split(/^---\s*$/m).filter((doc) => IDENTITY_KINDS.has(/^kind:\s*(\S+)/m.exec(doc)?.[1] ?? ''));
}

const applied: string[] = [];
const logs = new Set<string>();
/** Kubeconfigs hold the admin credentials: in a private temporary folder, never the kept log folder. */
let kubeconfigDir: string | undefined;

/** Applies the chart's identity objects and writes the impersonating kubeconfig. */
export async function chartIdentity(o: ChartIdentityOptions): Promise<ChartIdentity> {
  const docs = identityDocuments(await helmTemplate(o));
  const name = /^kind:\s*ServiceAccount\s*$[\s\S]*?^\s+name:\s*(\S+)/m.exec(docs.find((d) => /^kind:\s*ServiceAccount\s*$/m.test(d)) ?? '')?.[1];
  if (name === undefined) throw new Error(`helm template ${o.chart} rendered no ServiceAccount`);
  // The release namespace first, as `helm install --create-namespace` would (the kwok cloud
  // namespace exists only once its provisioner runs); the test that owns it deletes it.
  await kubectlApply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels: { 'kaito-ts.dev/test-namespace': 'true' } } }));
  const yaml = [...docs, ...(o.testOnlyGrants !== undefined ? [o.testOnlyGrants] : [])].join('\n---\n');
  await kubectlApply(yaml);
  applied.push(yaml);
  logs.add(o.logFile);
  const serviceAccount = { namespace: o.namespace, name };
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfigPath());
  kubeconfigDir ??= mkdtempSync(join(tmpdir(), 'kaito-e2e-identity-'));
  const kubeconfig = writeImpersonatingKubeconfig(admin, serviceAccount, join(kubeconfigDir, `${o.release}.kubeconfig`));
  return { kubeconfig, serviceAccount };
}

/** How a process's log shows a request RBAC refused: the API server's "… is forbidden", or its 403 code. */
export const REFUSED = /forbidden|\b(?:HTTP|status|statusCode|code)\W{0,3}403\b/i;

/** The lines of the identities' process logs that show a refused request. */
export function refusedLines(): string[] {
  return [...logs].flatMap((file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => REFUSED.test(l)).map((l) => `${file}: ${l.slice(0, 500)}`) : []));
}

/**
 * Deletes the identities' cluster-scoped objects (ClusterRoles and bindings outlive namespaces)
 * and the impersonating kubeconfigs; returns the lines of the identities' process logs that show a
 * refused request (empty: every chart's RBAC was enough).
 */
export async function releaseChartIdentities(): Promise<string[]> {
  const refused = refusedLines();
  logs.clear();
  for (const yaml of applied.splice(0)) await kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], yaml);
  if (kubeconfigDir !== undefined) rmSync(kubeconfigDir, { recursive: true, force: true });
  kubeconfigDir = undefined;
  return refused;
}

// After each file's tests (registered here, so every spec that starts a process gets it without a
// line of its own): fail loudly if a process was refused anything — the chart lacks a permission
// the program needs. Only under jest: the demo (tools/demo) imports this module as a program and
// calls releaseChartIdentities itself.
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const refused = await releaseChartIdentities();
    if (refused.length > 0) throw new Error(`a process ran as its chart's ServiceAccount was refused (403), so the chart's RBAC lacks what it needs:\n${refused.join('\n')}`);
  });
}
