/**
 * The workspace controller as its own process: `tsx apps/workspace-controller/src/main.ts` with
 * flags, its own kubeconfig and JSON logs in the run's log folder. Leader election is off: a
 * SIGKILLed leader's Lease would hold a restarted process back for the lease duration, which
 * tests nothing the chaos trials are about.
 */
import { join } from 'node:path';
import type { NodeRequestApi } from '@kaito-ts/karpenter';
import { ManagedProcess } from './process.js';
import { kubeconfigPath, logDir } from './repo.js';

export interface WorkspaceControllerProcessOptions {
  readonly nodeApi: NodeRequestApi;
  /** The namespaces it reconciles (its caches narrow to one). */
  readonly namespaces: readonly string[];
  /** Log file name in the run's log folder. */
  readonly logName: string;
  readonly extraArgs?: readonly string[];
}

export function startWorkspaceControllerProcess(o: WorkspaceControllerProcessOptions): Promise<ManagedProcess> {
  return ManagedProcess.start({
    name: 'workspace-controller',
    script: 'apps/workspace-controller/src/main.ts',
    args: [
      `--node-api=${o.nodeApi}`,
      `--kubeconfig=${kubeconfigPath()}`,
      ...o.namespaces.map((ns) => `--namespace=${ns}`),
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--log-format=json',
      '--log-level=info',
      ...(o.extraArgs ?? []),
    ],
    readyWhen: 'workspace controller started',
    logFile: join(logDir(), `${o.logName}.log`),
  });
}
