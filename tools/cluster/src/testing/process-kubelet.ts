/// <reference types="jest" />
// A process kubelet for one integration test file: started in this jest worker (so it runs the
// code under test), serving one fresh fake GPU node whose pods run as local processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addGpuNode, deleteGpuNodes, waitForNodeReady } from '../gpu-node.js';
import { loadKubeConfig } from '../kube.js';
import { type RunningProcessKubelet, startProcessKubelet } from '../kubelet/kubelet.js';
import { containerLogFile } from '../kubelet/pod-worker.js';
import type { Pod } from '../kubelet/types.js';
import { kubeClients } from './index.js';

export interface ProcessKubeletHandle {
  /** The node whose pods run as processes; put `nodeName` (or a selector on it) in the pod spec. */
  readonly nodeName: string;
  readonly kubelet: RunningProcessKubelet;
  /** A container's log file (`restartCount` 0 is the first run). */
  logFile(pod: { metadata?: { name?: string; namespace?: string; uid?: string } }, container: string, restartCount?: number): string;
  /** That log file's content ('' when it does not exist yet). */
  logs(pod: { metadata?: { name?: string; namespace?: string; uid?: string } }, container: string, restartCount?: number): string;
}

export interface UseProcessKubeletOptions {
  readonly sku?: string;
  /** CrashLoopBackOff delays; default 1 s doubling to 8 s so tests see the back-off grow quickly. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly imageMapFile?: string;
}

export function useProcessKubelet(opts: UseProcessKubeletOptions = {}): ProcessKubeletHandle {
  let kubelet: RunningProcessKubelet | undefined;
  let dir: string | undefined;
  const name = `it-${Math.random().toString(36).slice(2, 8)}`;
  const nodeName = `process-node-${name}`;
  const handle: ProcessKubeletHandle = {
    nodeName,
    get kubelet(): RunningProcessKubelet {
      if (kubelet === undefined) throw new Error('useProcessKubelet(): the kubelet exists only from beforeAll on');
      return kubelet;
    },
    logFile(pod, container, restartCount = 0) {
      const m = pod.metadata ?? {};
      return containerLogFile(handle.kubelet.dirs, { metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '' } } as Pod, container, restartCount);
    },
    logs(pod, container, restartCount = 0) {
      try {
        return readFileSync(handle.logFile(pod, container, restartCount), 'utf8');
      } catch {
        return '';
      }
    },
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kaito-ts-kubelet-'));
    const { core } = kubeClients();
    kubelet = await startProcessKubelet({
      kubeConfig: loadKubeConfig(process.env['KUBECONFIG']),
      name,
      dir,
      servesAnnotated: false,
      backoff: opts.backoff ?? { initialMs: 1000, maxMs: 8000 },
      retryMs: 500,
      heartbeatMs: 5000,
      ...(opts.imageMapFile !== undefined ? { imageMapFile: opts.imageMapFile } : {}),
    });
    await addGpuNode(core, { sku: opts.sku ?? 'Standard_NC6s_v3', name: nodeName, runPods: name });
    await waitForNodeReady(core, nodeName, 30_000);
  }, 60_000);
  afterAll(async () => {
    await kubelet?.stop({ graceMs: 5000 });
    await deleteGpuNodes(kubeClients().core, [nodeName]).catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  return handle;
}
