// `up` starts the cluster's process kubelet; `down` leaves no process of ours: not the kubelet,
// not a container it started. Uses a cluster of its own, so the shared one keeps running.
import { readdirSync, readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { down, up } from './cluster.js';
import { addGpuNode, waitForNodeReady } from './gpu-node.js';
import { kubeClientsFor, loadKubeConfig } from './kube.js';
import { DEFAULT_KUBELET_NAME } from './kubelet/dirs.js';
import { RUN_AS_PROCESS_ANNOTATION } from './kubelet/kubelet.js';
import { MARKER_ENV } from './kubelet/process-group.js';
import { kubeletPid, kubeletProcessPaths } from './kubelet/process.js';
import { clusterPaths } from './paths.js';
import { eventually } from '@kaito-ts/core/testing';

jest.setTimeout(240_000);

const name = `kubelet-down-${Math.random().toString(36).slice(2, 7)}`;
const paths = clusterPaths(name);
const log = (line: string): void => {
  process.stderr.write(`[${name}] ${line}\n`);
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every live process whose environment carries this cluster's kubelet marker. */
function ourContainers(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`${MARKER_ENV}=${dir}`)) pids.push(Number(entry));
    } catch {
      // gone, or not readable
    }
  }
  return pids;
}

afterAll(async () => {
  await down({ name, log });
});

it('up starts the process kubelet (nodes added with --run-pods, pods annotated run-as-process); a deleted node takes the processes of its pods along; down stops the kubelet and every container', async () => {
  await up({ name, log });
  const kubelet = kubeletPid(paths);
  expect(kubelet).toBeDefined();
  const { core } = kubeClientsFor(loadKubeConfig(paths.kubeconfig));
  await core.createNamespace({ body: { metadata: { name: 'work' } } });
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: 'work' }));
  await addGpuNode(core, { sku: 'Standard_NC6s_v3', name: 'process-node', runPods: DEFAULT_KUBELET_NAME });
  await addGpuNode(core, { sku: 'Standard_NC6s_v3', name: 'kwok-node' });
  await waitForNodeReady(core, 'process-node');
  await waitForNodeReady(core, 'kwok-node');
  const sleeper = (podName: string, nodeName: string, annotations: Record<string, string> = {}): V1Pod => ({
    metadata: { name: podName, namespace: 'work', annotations },
    spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
  });
  await core.createNamespacedPod({ namespace: 'work', body: sleeper('on-process-node', 'process-node') });
  // On a kwok node, but opted in: the kubelet runs it and kwok's stages leave it alone.
  await core.createNamespacedPod({ namespace: 'work', body: sleeper('opted-in', 'kwok-node', { [RUN_AS_PROCESS_ANNOTATION]: 'true' }) });
  // A plain pod on the kwok node stays kwok's.
  await core.createNamespacedPod({ namespace: 'work', body: sleeper('simulated', 'kwok-node') });
  const pids: number[] = [];
  for (const podName of ['on-process-node', 'opted-in']) {
    const p = await eventually(async () => {
      const pod = await core.readNamespacedPod({ name: podName, namespace: 'work' });
      expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(/^process:\/\/\d+$/);
      expect(pod.status?.phase).toBe('Running');
      return pod;
    });
    pids.push(Number(p.status?.containerStatuses?.[0]?.containerID?.slice('process://'.length)));
  }
  const simulated = await eventually(async () => {
    const pod = await core.readNamespacedPod({ name: 'simulated', namespace: 'work' });
    expect(pod.status?.phase).toBe('Running');
    return pod;
  });
  expect(simulated.status?.containerStatuses?.[0]?.containerID).toBeUndefined();
  const dir = kubeletProcessPaths(paths).dir;
  expect(ourContainers(dir).sort()).toEqual([...pids].sort());

  // The node goes: its pod's processes go with it (the pod object is left to the pod GC).
  const [onNode, optedIn] = pids as [number, number];
  await core.deleteNode({ name: 'process-node' });
  await eventually(() => expect(alive(onNode)).toBe(false), { timeoutMs: 20_000, description: 'the deleted node pod process gone' });
  expect(ourContainers(dir)).toEqual([optedIn]);

  await down({ name, log });
  expect(alive(kubelet!)).toBe(false);
  for (const pid of pids) expect(alive(pid)).toBe(false);
  expect(ourContainers(dir)).toEqual([]);
});
