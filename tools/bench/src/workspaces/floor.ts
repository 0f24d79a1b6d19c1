/**
 * The cluster's own floor under the BYO benchmark (`--run byo-floor/COUNT/SKU`): how long the local
 * control plane alone (kube-controller-manager with its stock client limits, the scheduler, kwok)
 * takes to turn COUNT StatefulSets, each with its two Services, into Ready pods on COUNT
 * pre-created fake GPU nodes, when an admin creates them all in one burst and no controller runs.
 * A BYO run cannot be faster than this: after the controller's writes, the same work remains.
 *
 * The objects are the controller's own: it runs once, for a template Workspace `ws-tpl` on a node
 * of its own, and its StatefulSet and Services are copied with the name replaced (the node
 * affinity, selector and labels all carry it), without their ownerReference (no Workspace owns
 * them), so nothing here restates the controller's rendering. Then the controller is stopped, T0,
 * the burst (32 at once, as the Workspace burst), and an informer of the harness stamps when each
 * pod is first Ready. The API server's requests by verb and resource over the window say who did
 * the work (floor-objects.ts, `requestsByResource`).
 */
import { loadavg } from 'node:os';
import { eventually } from '@kaito-ts/core/testing';
import { createLogger, Informer, type KubeObject, KubeListWatch, Resources } from '@kaito-ts/controller-runtime';
import { down, gpuNodeManifest, isNodeReady, skuOrThrow } from '@kaito-ts/cluster';
import { BYO_LABEL, byoWorkspaceName, freshBenchCluster, isPodReady, pool, PRESET, type RunOptions, startProcess, stopProcess, WORKSPACE_NAMESPACE } from './run.js';
import { copyFor, requestsByResource, TEMPLATE } from './floor-objects.js';
import type { FloorResult } from './workspaces-report.js';

export async function runFloorBench(o: RunOptions): Promise<FloorResult> {
  const tag = `[${o.mode} ${o.count} × ${o.sku}]`;
  const { kubeconfig, rest, admin } = await freshBenchCluster(o);
  const logger = createLogger({ level: 'error', format: 'json' });
  let controller: Awaited<ReturnType<typeof startProcess>> | undefined;
  let podInformer: Informer<KubeObject> | undefined;
  try {
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: WORKSPACE_NAMESPACE } });
    const sku = skuOrThrow(o.sku);
    const names = Array.from({ length: o.count }, (_, i) => byoWorkspaceName(i));
    await pool([TEMPLATE, ...names], 16, (name) => admin.create(Resources.Node, gpuNodeManifest(sku, { name: `byo-${name}`, labels: { [BYO_LABEL]: name } }) as unknown as KubeObject));
    await eventually(async () => (await admin.list(Resources.Node, { labelSelector: BYO_LABEL })).filter((n) => isNodeReady(n as never)).length === o.count + 1, {
      timeoutMs: o.timeoutMs,
      intervalMs: 1000,
      description: `${o.count + 1} BYO nodes Ready`,
    });

    // The controller renders the template Workspace's objects, then stops.
    controller = await startProcess(
      o,
      'workspace-controller',
      o.controllerNodeArgs,
      [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--metrics-port=off', '--health-port=off', '--log-format=json', ...o.controllerArgs],
      'workspace controller started',
    );
    await admin.create(Resources.Workspace, {
      apiVersion: 'kaito.sh/v1beta1',
      kind: 'Workspace',
      metadata: { name: TEMPLATE, namespace: WORKSPACE_NAMESPACE },
      resource: { labelSelector: { matchLabels: { [BYO_LABEL]: TEMPLATE } } },
      inference: { preset: { name: PRESET } },
    } as KubeObject);
    const rendered = await eventually(
      async () => {
        const objs = await Promise.all([
          admin.find(Resources.StatefulSet, TEMPLATE, WORKSPACE_NAMESPACE),
          admin.find(Resources.Service, TEMPLATE, WORKSPACE_NAMESPACE),
          admin.find(Resources.Service, `${TEMPLATE}-headless`, WORKSPACE_NAMESPACE),
        ]);
        return objs.every((x) => x !== undefined) && (objs as KubeObject[]);
      },
      { timeoutMs: o.timeoutMs, intervalMs: 200, description: `the template Workspace's StatefulSet and Services` },
    );
    await stopProcess(controller);
    controller = undefined;

    const readySeen = new Map<string, number>();
    const wanted = new Set(names.map((n) => `${n}-0`));
    podInformer = new Informer<KubeObject>({ resource: Resources.Pod, source: new KubeListWatch(rest, Resources.Pod, { namespace: WORKSPACE_NAMESPACE }), logger });
    const onPod = (p: KubeObject): void => {
      if (wanted.has(p.metadata.name) && !readySeen.has(p.metadata.name) && isPodReady(p)) readySeen.set(p.metadata.name, Date.now());
    };
    podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_old, p) => onPod(p) });
    podInformer.start();
    await podInformer.waitForSync();

    const metrics = async (): Promise<Map<string, number>> => requestsByResource(await rest.requestText({ method: 'GET', path: '/metrics' }));
    const before = await metrics();
    const loadStart = loadavg()[0] ?? 0;
    o.log(`${tag} template rendered; burst of ${o.count} StatefulSets and ${2 * o.count} Services`);
    const t0 = Date.now();
    // StatefulSet first in each Workspace's three, as the controller sends them.
    const objects = names.flatMap((name) => rendered.map((obj) => copyFor(obj, name)));
    await pool(objects, 32, (obj) => admin.create(obj.kind === 'Service' ? Resources.Service : Resources.StatefulSet, obj));
    const createdS = (Date.now() - t0) / 1000;
    o.log(`${tag} created in ${createdS.toFixed(1)} s`);
    let incomplete: string | undefined;
    await eventually(() => readySeen.size === o.count, { timeoutMs: o.timeoutMs, intervalMs: 100, description: 'every pod Ready' }).catch(() => {
      incomplete = `${readySeen.size}/${o.count} pods Ready within ${o.timeoutMs / 1000} s`;
    });
    const after = await metrics();
    const requests = [...after.entries()]
      .map(([what, n]) => ({ what, requests: n - (before.get(what) ?? 0) }))
      .filter((d) => d.requests > 0)
      .sort((a, b) => b.requests - a.requests);
    return {
      mode: 'byo-floor',
      count: o.count,
      sku: o.sku,
      createdS,
      readyS: [...readySeen.values()].map((t) => (t - t0) / 1000),
      requests,
      load: { start: loadStart, end: loadavg()[0] ?? 0 },
      ...(incomplete !== undefined ? { incomplete } : {}),
    };
  } finally {
    await podInformer?.stop();
    await stopProcess(controller);
    await rest.close();
    if (!o.keepCluster) await down({ name: o.cluster, log: () => undefined });
  }
}
