/**
 * The workspace controller as its own process: `tsx apps/workspace-controller/src/main.ts` with
 * flags, its own kubeconfig and JSON logs in the run's log folder. Leader election is off: a
 * SIGKILLed leader's Lease would hold a restarted process back for the lease duration, which
 * tests nothing the chaos trials are about. It runs as the workspace-controller chart's
 * ServiceAccount (chart-identity.ts), the chart rendered for the namespaces it watches.
 */
import { join } from 'node:path';
import type { NodeRequestApi } from '@kaito-ts/karpenter';
import { chartIdentity } from './chart-identity.js';
import { ManagedProcess } from './process.js';
import { logDir, runId } from './repo.js';

export interface WorkspaceControllerProcessOptions {
  readonly nodeApi: NodeRequestApi;
  /** The namespaces it reconciles (its caches narrow to one). */
  readonly namespaces: readonly string[];
  /** Log file name in the run's log folder. */
  readonly logName: string;
  readonly extraArgs?: readonly string[];
  /** RBAC beyond the chart's for a test-only mode (see ChartIdentityOptions.testOnlyGrants). */
  readonly testOnlyGrants?: (release: string) => string;
}

/** The chart's release name for a process, so a test can name the objects it renders. */
export const chartFullname = (release: string): string => `${release}-workspace-controller`;

export async function startWorkspaceControllerProcess(o: WorkspaceControllerProcessOptions): Promise<ManagedProcess> {
  const [home] = o.namespaces;
  if (home === undefined) throw new Error('startWorkspaceControllerProcess: give at least one namespace');
  const release = `e2e-${runId()}`;
  const logFile = join(logDir(), `${o.logName}.log`);
  const list = `{${o.namespaces.join(',')}}`;
  const identity = await chartIdentity({
    chart: 'workspace-controller',
    release,
    namespace: home,
    // What the process's flags do: its namespaces watched, Secrets read there (tuning push and
    // pull secrets), no leader election, the webhook only where the test turns it on.
    set: [`nodeAPI=${o.nodeApi}`, `watchNamespaces=${list}`, `tuning.secretNamespaces=${list}`, 'leaderElection.enabled=false', `webhook.enabled=${String((o.extraArgs ?? []).includes('--webhook=true'))}`],
    ...(o.testOnlyGrants !== undefined ? { testOnlyGrants: o.testOnlyGrants(release) } : {}),
    logFile,
  });
  return ManagedProcess.start({
    name: 'workspace-controller',
    script: 'apps/workspace-controller/src/main.ts',
    args: [
      `--node-api=${o.nodeApi}`,
      `--kubeconfig=${identity.kubeconfig}`,
      ...o.namespaces.map((ns) => `--namespace=${ns}`),
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--log-format=json',
      '--log-level=info',
      ...(o.extraArgs ?? []),
    ],
    readyWhen: 'workspace controller started',
    logFile,
  });
}
