/**
 * Keeps a node the process kubelet serves Ready, as a kubelet does: node status conditions with a
 * fresh heartbeat and the node's Lease in kube-node-lease. kwok does this for its own nodes; it
 * leaves these alone (they lack its `kwok.x-k8s.io/node=fake` annotation).
 */
import { type KubeClient, type KubeObject, isNotFound, Resources } from '@kaito-ts/controller-runtime';
import { now } from './pod-worker.js';

export const LEASE_DURATION_SECONDS = 40;

const microTime = (): string => new Date().toISOString().replace(/Z$/, '000Z');

export function nodeStatus(heartbeat: string, since: string): Record<string, unknown> {
  const cond = (type: string, status: string, reason: string, message: string): Record<string, unknown> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: since,
  });
  return {
    conditions: [
      cond('Ready', 'True', 'KubeletReady', 'process kubelet is posting ready status'),
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'process kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'process kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'process kubelet has sufficient PID available'),
      cond('NetworkUnavailable', 'False', 'RouteCreated', 'pods share the host network (127.0.0.1)'),
    ],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
  };
}

/** One heartbeat: node status conditions and the Lease. */
export async function heartbeat(client: KubeClient, node: KubeObject, since: string): Promise<void> {
  const name = node.metadata.name;
  await client.mergePatch(Resources.Node, { name }, { status: nodeStatus(now(), since) }, 'status');
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime() },
  };
  const existing = await client.find(Resources.Lease, name, 'kube-node-lease');
  if (existing === undefined) {
    await client.create(Resources.Lease, lease).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  } else {
    await client.mergePatch(Resources.Lease, { name, namespace: 'kube-node-lease' }, { spec: lease.spec });
  }
}
