/**
 * The process kubelet: a controller (on @kaito-ts/controller-runtime) that owns the pods bound to
 * nodes labelled `kaito-ts.dev/process-kubelet=<its name>` and pods annotated
 * `kaito-ts.dev/run-as-process: "true"`, and runs them as local processes (pod-worker.ts). kwok's
 * stages leave both alone: kwok manages only nodes annotated `kwok.x-k8s.io/node=fake` (our nodes
 * are not), and every pod stage skips the annotated pods.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  type Controller,
  createLogger,
  type KubeObject,
  type Logger,
  Manager,
  Resources,
  watch,
} from '@kaito-ts/controller-runtime';
import { PROCESS_KUBELET_LABEL } from '../gpu-node.js';
import { type ImageMap, loadImageMap } from './image-map.js';
import { heartbeat } from './node-heartbeat.js';
import { DEFAULT_KUBELET_NAME, type KubeletDirs, kubeletDirs } from './dirs.js';
import { now, PodWorker } from './pod-worker.js';
import { isolationFor } from './namespaces.js';
import { sweepContainers } from './process-group.js';
import type { ObjectLookup, Pod } from './types.js';

/** A pod on any node that asks to run as a process (served by kubelets with `servesAnnotated`). */
export const RUN_AS_PROCESS_ANNOTATION = 'kaito-ts.dev/run-as-process';

export interface ProcessKubeletOptions {
  readonly kubeConfig: KubeConfig;
  /** Serves nodes labelled `kaito-ts.dev/process-kubelet=<name>`. Default `default`. */
  readonly name?: string;
  /** Its directory: pods/, logs/, pids/. */
  readonly dir: string;
  readonly imageMapFile?: string;
  /** Also run pods annotated `kaito-ts.dev/run-as-process: "true"` wherever they are bound. Default true. */
  readonly servesAnnotated?: boolean;
  readonly logger?: Logger;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly retryMs?: number;
  readonly heartbeatMs?: number;
}

export interface RunningProcessKubelet {
  readonly name: string;
  readonly dirs: KubeletDirs;
  readonly manager: Manager;
  /** Stops every pod's processes (SIGTERM, grace capped at `graceMs`, SIGKILL) and the controller. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

const asPod = (o: KubeObject): Pod => o as unknown as Pod;

/**
 * Whether kubelet `name` runs `pod`, bound to `node` (undefined: unbound, or the node is gone). A
 * node labelled for a process kubelet is that kubelet's alone, annotated pods included: two
 * kubelets must never run (and write the status of) the same pod.
 */
export function servesPod(pod: Pod, node: KubeObject | undefined, name: string, servesAnnotated: boolean): boolean {
  if (!pod.spec.nodeName || node === undefined) return false;
  const owner = node.metadata.labels?.[PROCESS_KUBELET_LABEL];
  if (owner !== undefined) return owner === name;
  return servesAnnotated && pod.metadata.annotations?.[RUN_AS_PROCESS_ANNOTATION] === 'true';
}
const isTerminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export async function startProcessKubelet(o: ProcessKubeletOptions): Promise<RunningProcessKubelet> {
  // Root, or a user namespace; else the one line saying what to change, before serving any pod.
  isolationFor();
  const name = o.name ?? DEFAULT_KUBELET_NAME;
  const logger = o.logger ?? createLogger({ defaultMeta: { component: 'process-kubelet', kubelet: name } });
  const dirs = kubeletDirs(o.dir);
  for (const d of [dirs.pods, dirs.logs, dirs.pids]) mkdirSync(d, { recursive: true });
  const swept = sweepContainers(dirs.pids, dirs.root);
  if (swept.length > 0) logger.warn('killed containers a previous kubelet left running', { pids: swept });
  let imageMap: ImageMap = loadImageMap(o.imageMapFile);
  const manager = new Manager({ kubeConfig: o.kubeConfig, logger, name: `process-kubelet-${name}`, metricsPort: false, healthPort: false, leaderElection: false, processMetrics: false });
  const client = manager.client;
  const pods = manager.informer(Resources.Pod);
  const nodes = manager.informer(Resources.Node);
  const server = o.kubeConfig.getCurrentCluster()?.server;
  const serverUrl = server !== undefined ? new URL(server) : undefined;

  const lookup: ObjectLookup = {
    async configMap(namespace, n) {
      const cm = (await client.find(Resources.ConfigMap, n, namespace)) as { data?: Record<string, string>; binaryData?: Record<string, string> } | undefined;
      if (cm === undefined) return undefined;
      return { ...Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])), ...cm.data };
    },
    async secret(namespace, n) {
      const s = (await client.find(Resources.Secret, n, namespace)) as { data?: Record<string, string> } | undefined;
      if (s === undefined) return undefined;
      return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
    },
    async serviceAccountToken(namespace, sa, audience, expirationSeconds) {
      const res = (await client.transport.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(sa)}/token`,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { ...(audience ? { audiences: [audience] } : {}), expirationSeconds } },
      })) as { status?: { token?: string } };
      return res.status?.token ?? '';
    },
  };

  const workers = new Map<string, PodWorker>();
  // Pods (by uid) whose containers are in their grace period: a status write or any other update
  // reconciles them again, and must not delete them from the API while a process still runs.
  const terminating = new Set<string>();
  const stopping = new Set<Promise<void>>();
  const track = (work: Promise<unknown>): void => {
    const p = work.then(() => undefined);
    stopping.add(p);
    void p.finally(() => stopping.delete(p));
  };

  const isOurs = (p: Pod): boolean =>
    servesPod(p, p.spec.nodeName ? nodes.get(undefined, p.spec.nodeName) : undefined, name, o.servesAnnotated ?? true);

  const forceDelete = async (p: Pod): Promise<void> => {
    await client.transport
      .request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace)}/pods/${encodeURIComponent(p.metadata.name)}`,
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } },
      })
      .catch((err: unknown) => {
        const code = (err as { code?: unknown }).code;
        if (code !== 404 && code !== 409) throw err;
      });
  };

  const graceOf = (p: Pod): number => (p.metadata.deletionGracePeriodSeconds ?? p.spec.terminationGracePeriodSeconds ?? 30) * 1000;

  const podController: Controller = {
    name: 'process-kubelet-pods',
    concurrency: 4,
    watches: [
      watch(Resources.Pod),
      watch(Resources.Node, { mapToKeys: (node) => pods.list().filter((p) => asPod(p).spec.nodeName === node.metadata.name).map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`) }),
    ],
    async reconcile(key, ctx) {
      const obj = pods.getByKey(key);
      const pod = obj !== undefined ? asPod(obj) : undefined;
      const worker = workers.get(key);
      if (worker !== undefined && (pod === undefined || pod.metadata.uid !== worker.pod.metadata.uid || !isOurs(pod))) {
        // Gone (or no longer ours: its node went): stop its processes; the API has nothing to hear.
        workers.delete(key);
        track(worker.terminate(Math.min(graceOf(worker.pod), 10_000), false));
      }
      if (pod === undefined || !isOurs(pod)) return;
      const current = workers.get(key);
      if (pod.metadata.deletionTimestamp !== undefined) {
        if (current !== undefined) {
          workers.delete(key);
          current.pod = pod;
          const uid = pod.metadata.uid;
          terminating.add(uid);
          track(
            current
              .terminate(graceOf(pod))
              .then(() => forceDelete(pod))
              .catch((err: unknown) => ctx.log.error('deleting pod failed', { error: String(err) }))
              .finally(() => terminating.delete(uid)),
          );
        } else if (!terminating.has(pod.metadata.uid)) {
          // Never ran here (finished earlier, or the kubelet restarted): nothing to stop.
          track(forceDelete(pod).catch((err: unknown) => ctx.log.error('deleting pod failed', { error: String(err) })));
        }
        return;
      }
      if (current !== undefined) {
        current.pod = pod;
        return;
      }
      // A finished pod stays finished (e.g. after a kubelet restart).
      if (isTerminal(pod)) return;
      const node = nodes.get(undefined, pod.spec.nodeName ?? '') as { status?: { allocatable?: Record<string, string> } } | undefined;
      const w = new PodWorker(pod, {
        lookup,
        imageMap: () => imageMap,
        writeStatus: async (p, status) => {
          await client.mergePatch(Resources.Pod, p.metadata, { status }, 'status');
        },
        annotate: async (p, annotations) => {
          await client.mergePatch(Resources.Pod, p.metadata, { metadata: { annotations } });
        },
        nodeAllocatable: node?.status?.allocatable ?? {},
        dirs,
        logger: logger.child({ pod: key, uid: pod.metadata.uid }),
        baseEnv: {
          PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/root',
          HOSTNAME: pod.spec.hostname ?? pod.metadata.name,
          ...(serverUrl !== undefined ? { KUBERNETES_SERVICE_HOST: serverUrl.hostname, KUBERNETES_SERVICE_PORT: serverUrl.port || '443' } : {}),
        },
        backoff: o.backoff ?? { initialMs: 10_000, maxMs: 300_000 },
        retryMs: o.retryMs ?? 2_000,
      });
      workers.set(key, w);
      ctx.log.info('running pod as processes', { node: pod.spec.nodeName, logs: join(dirs.logs, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`) });
      void w.start();
    },
  };

  const since = now();
  const nodeController: Controller = {
    name: 'process-kubelet-nodes',
    watches: [watch(Resources.Node, { predicate: (c) => c.type !== 'update' || c.obj.metadata.labels?.[PROCESS_KUBELET_LABEL] !== c.old?.metadata.labels?.[PROCESS_KUBELET_LABEL] })],
    async reconcile(key) {
      const node = nodes.getByKey(key);
      if (node?.metadata.labels?.[PROCESS_KUBELET_LABEL] !== name) return;
      await heartbeat(client, node, since);
      return { requeueAfterMs: o.heartbeatMs ?? 10_000 };
    },
  };

  manager.add(podController);
  manager.add(nodeController);
  const done = manager.start();
  await manager.whenLeading();
  logger.info('process kubelet started', { name, dir: dirs.root, images: imageMap.file, logs: dirs.logs });

  return {
    name,
    dirs,
    manager,
    async stop(stopOptions = {}) {
      const cap = stopOptions.graceMs ?? 10_000;
      await manager.stop();
      await done.catch(() => undefined);
      const all = [...workers.values()];
      workers.clear();
      await Promise.all([...all.map((w) => w.terminate(Math.min(graceOf(w.pod), cap), false)), ...stopping]);
      sweepContainers(dirs.pids, dirs.root);
      imageMap = { file: imageMap.file, entries: [] };
      logger.info('process kubelet stopped', { name });
    },
  };
}
