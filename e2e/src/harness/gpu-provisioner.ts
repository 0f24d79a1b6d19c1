/**
 * gpu-provisioner as its own process (`tsx apps/gpu-provisioner/src/main.ts`) against the ARM
 * simulator: the Azure SDK code paths unchanged, only the ARM endpoint, authority host and CA
 * differ from production. It manages only the node requests of one Workspace namespace, and runs
 * as the gpu-provisioner chart's ServiceAccount (chart-identity.ts), released in that namespace.
 */
import { join } from 'node:path';
import type { NodeRequestApi } from '@kaito-ts/karpenter';
import type { RunningArmSimulator } from './arm-simulator.js';
import { chartIdentity } from './chart-identity.js';
import { ManagedProcess } from './process.js';
import { logDir, runId } from './repo.js';

export interface GpuProvisionerProcessOptions {
  readonly api: NodeRequestApi;
  readonly simulator: RunningArmSimulator;
  readonly workspaceNamespace: string;
  readonly logName: string;
  /** First retry after a capacity failure; default 2s. */
  readonly capacityRetry?: string;
}

export async function startGpuProvisionerProcess(o: GpuProvisionerProcessOptions): Promise<ManagedProcess> {
  const e = o.simulator.endpoint;
  const logFile = join(logDir(), `${o.logName}.log`);
  const identity = await chartIdentity({
    chart: 'gpu-provisioner',
    release: `e2e-${runId()}`,
    namespace: o.workspaceNamespace,
    set: [`nodeAPI=${o.api}`, 'leaderElection.enabled=false', `azure.subscriptionId=${e.subscriptionId}`, `azure.resourceGroup=${e.resourceGroup}`, `azure.clusterName=${e.clusterName}`, `azure.location=${e.location}`, 'workloadIdentity.clientId=00000000-0000-0000-0000-0000000000cc'],
    logFile,
  });
  return ManagedProcess.start({
    name: 'gpu-provisioner',
    script: 'apps/gpu-provisioner/src/main.ts',
    args: [
      `--api=${o.api}`,
      `--subscription=${e.subscriptionId}`,
      `--resource-group=${e.resourceGroup}`,
      `--cluster-name=${e.clusterName}`,
      `--location=${e.location}`,
      `--arm-endpoint=${e.url}`,
      `--kubeconfig=${identity.kubeconfig}`,
      `--selector=kaito.sh/workspacenamespace=${o.workspaceNamespace}`,
      `--capacity-retry=${o.capacityRetry ?? '2s'}`,
      '--termination-poll=1s',
      '--arm-timeout=10s',
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--log-format=json',
      '--log-level=info',
    ],
    env: o.simulator.clientEnv,
    readyWhen: 'gpu provisioner started',
    logFile,
  });
}
