/**
 * Where a client on this machine reaches a Service of the local cluster. The local control plane
 * has no kube-proxy, and the process kubelet runs pods on this machine's network (podIP and hostIP
 * 127.0.0.1; docs/local-cluster.md, "Networking, plainly"), so this does what kube-proxy would:
 * the Service's port → its targetPort on a Ready pod it selects → where the kubelet says that
 * container port is reachable (the pod's `kaito-ts.dev/host-ports` annotation, which records a
 * remapped hostPort too).
 */
import { type KubeClient, Resources } from '@kaito-ts/controller-runtime';
import type { V1Pod, V1Service } from '@kubernetes/client-node';

/** Must equal HOST_PORTS_ANNOTATION of tools/cluster (the process kubelet writes it). */
export const HOST_PORTS_ANNOTATION = 'kaito-ts.dev/host-ports';

/** `http://127.0.0.1:<port>` for `service`'s `port` (default its first), or an error saying what is missing. */
export async function serviceEndpoint(kube: KubeClient, service: string, namespace: string, port?: number): Promise<string> {
  const svc = (await kube.get(Resources.Service, service, namespace)) as unknown as V1Service;
  const ports = svc.spec?.ports ?? [];
  const sp = port === undefined ? ports[0] : ports.find((p) => p.port === port);
  if (sp === undefined) throw new Error(`Service ${namespace}/${service} has no port ${port ?? ''}`);
  const selector = Object.entries(svc.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = (await kube.list(Resources.Pod, { namespace, labelSelector: selector })) as unknown as V1Pod[];
  const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const pod = ready[0];
  if (pod === undefined) throw new Error(`Service ${namespace}/${service}: no Ready pod matches ${selector} (${pods.length} pods)`);
  const target = sp.targetPort ?? sp.port;
  const containerPort =
    typeof target === 'number' ? target : pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
  if (containerPort === undefined) throw new Error(`Service ${namespace}/${service}: pod ${pod.metadata?.name} has no port named ${String(target)}`);
  const recorded = JSON.parse(pod.metadata?.annotations?.[HOST_PORTS_ANNOTATION] ?? '{}') as Record<string, number>;
  const hostPort = Object.entries(recorded).find(([key]) => key.endsWith(`/${containerPort}`))?.[1];
  if (hostPort === undefined) throw new Error(`pod ${namespace}/${pod.metadata?.name}: no ${HOST_PORTS_ANNOTATION} entry for port ${containerPort} (is it run by a process kubelet?)`);
  return `http://${pod.status?.hostIP ?? '127.0.0.1'}:${hostPort}`;
}
