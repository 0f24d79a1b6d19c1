/**
 * The kwok provisioner as its own process (`tsx tools/kwok-provisioner/src/main.ts`): node
 * requests become kwok fake GPU nodes after `launchDelay`. It manages only the requests of the
 * given Workspace namespace (`--selector`), so a run shares the cluster with any other. Faults are
 * injected at run time through its fault ConfigMap (see `injectKwokFault`). It runs as the
 * kwok-provisioner chart's ServiceAccount (chart-identity.ts), released in its cloud namespace as
 * the chart is (its instance records live in the release namespace).
 */
import { join } from 'node:path';
import type { KubeClient } from '@kaito-ts/controller-runtime';
import { Resources } from '@kaito-ts/controller-runtime';
import type { NodeRequestApi } from '@kaito-ts/karpenter';
import { chartIdentity } from './chart-identity.js';
import { ManagedProcess } from './process.js';
import { logDir, runId } from './repo.js';

/** Must equal FAULTS_CONFIGMAP of tools/kwok-provisioner (a process, not imported: another scope). */
export const KWOK_FAULTS_CONFIGMAP = 'kwok-provisioner-faults';
export type KwokFault = 'QuotaExceeded' | 'InsufficientCapacity' | 'SkuUnavailable' | 'Transient';

export interface KwokProvisionerProcessOptions {
  readonly api: NodeRequestApi;
  /** Where its instance records and fault ConfigMap live. */
  readonly cloudNamespace: string;
  /** The Workspace namespace whose node requests it serves. */
  readonly workspaceNamespace: string;
  readonly logName: string;
  /** Default 1s. */
  readonly launchDelay?: string;
  /** First retry after a capacity failure; default 2s, so a raised quota shows within seconds. */
  readonly capacityRetry?: string;
}

export async function startKwokProvisionerProcess(o: KwokProvisionerProcessOptions): Promise<ManagedProcess> {
  const logFile = join(logDir(), `${o.logName}.log`);
  const identity = await chartIdentity({ chart: 'kwok-provisioner', release: `e2e-${runId()}`, namespace: o.cloudNamespace, set: [`nodeAPI=${o.api}`, 'leaderElection.enabled=false'], logFile });
  return ManagedProcess.start({
    name: 'kwok-provisioner',
    script: 'tools/kwok-provisioner/src/main.ts',
    args: [
      `--api=${o.api}`,
      `--kubeconfig=${identity.kubeconfig}`,
      `--cloud-namespace=${o.cloudNamespace}`,
      `--launch-delay=${o.launchDelay ?? '1s'}`,
      `--capacity-retry=${o.capacityRetry ?? '2s'}`,
      '--termination-poll=1s',
      `--selector=kaito.sh/workspacenamespace=${o.workspaceNamespace}`,
      '--leader-elect=false',
      '--metrics-port=off',
      '--health-port=off',
      '--log-format=json',
    ],
    readyWhen: 'kwok provisioner started',
    logFile,
  });
}

/** Sets (or, with `undefined`, clears) the fault the provisioner's next create of `instanceType` meets. */
export async function injectKwokFault(kube: KubeClient, cloudNamespace: string, instanceType: string, fault: KwokFault | undefined): Promise<void> {
  const current = await kube.find(Resources.ConfigMap, KWOK_FAULTS_CONFIGMAP, cloudNamespace);
  const data: Record<string, string> = { ...((current as { data?: Record<string, string> } | undefined)?.data ?? {}) };
  if (fault === undefined) delete data[instanceType];
  else data[instanceType] = fault;
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: KWOK_FAULTS_CONFIGMAP, namespace: cloudNamespace }, data };
  if (current === undefined) await kube.create(Resources.ConfigMap, cm);
  else await kube.replace(Resources.ConfigMap, { ...cm, metadata: { ...cm.metadata, ...(current.metadata.resourceVersion !== undefined ? { resourceVersion: current.metadata.resourceVersion } : {}) } });
}
