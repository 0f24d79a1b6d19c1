/**
 * The sample Widget controller in a Manager against the real local control plane: it converges,
 * follows changes, finalizes, does not retry an invalid spec, and writes nothing when nothing changed.
 */
import { eventually } from '@kaito-ts/core/testing';
import { Resources } from '../api/resource.js';
import { Manager } from '../manager/manager.js';
import { silentLogger } from '../testing/logger.js';
import { type Widget, widgetController, widgetCrd, Widgets, WIDGET_FINALIZER } from '../testing/widget-controller.js';
import type { RestRequest } from '../client/rest-client.js';
import { apiServerCounter, clientFor, ensureCrd, kubeConfigAt, useNamespace } from './helpers.js';

const ns = useNamespace('cr-sample');

interface Running {
  readonly mgr: Manager;
  readonly reconciled: string[];
  readonly writes: string[];
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

let running: Running;
const kc = () => kubeConfigAt();
let api: ReturnType<typeof clientFor>;

beforeAll(async () => {
  api = clientFor(kc());
  await ensureCrd(api.client, widgetCrd);
  const writes: string[] = [];
  const reconciled: string[] = [];
  const mgr = new Manager({
    kubeConfig: kc(),
    logger: silentLogger(),
    name: 'widget-controller',
    metricsPort: 0,
    healthPort: 0,
    bindAddress: '127.0.0.1',
    onResponse: (req: RestRequest) => {
      if (req.method !== 'GET') writes.push(`${req.method} ${req.path}`);
    },
  });
  mgr.add(widgetController(mgr, { events: mgr.eventRecorder(), onReconcile: (k) => reconciled.push(k) }));
  const abort = new AbortController();
  const done = mgr.start({ signal: abort.signal });
  running = { mgr, reconciled, writes, abort, done };
  await mgr.whenLeading();
});

afterAll(async () => {
  running.abort.abort();
  await running.done;
  await api.rest.close();
});

const widget = (name: string, message: unknown): Widget => ({
  apiVersion: 'test.kaito.sh/v1',
  kind: 'Widget',
  metadata: { name, namespace: ns.name },
  spec: { message },
});

const readWidget = (name: string) => api.client.get(Widgets, name, ns.name);
const readChild = (name: string) => api.client.get(Resources.ConfigMap, `${name}-widget`, ns.name) as Promise<{ data?: Record<string, string>; metadata: { ownerReferences?: unknown[] } }>;

it('converges a new widget: finalizer, owned child, Ready status and an event', async () => {
  await api.client.create(Widgets, widget('w1', 'hello'));
  const stored = await eventually(async () => {
    const w = await readWidget('w1');
    expect(w.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    return w;
  });
  const child = await readChild('w1');
  expect(stored.metadata.finalizers).toEqual([WIDGET_FINALIZER]);
  expect(stored.status?.observedGeneration).toBe(stored.metadata.generation);
  expect(child.data).toEqual({ message: 'hello' });
  expect(child.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Widget', name: 'w1', uid: stored.metadata.uid, controller: true })]);
  await eventually(async () => {
    const events = (await api.client.list(Resources.Event, { namespace: ns.name })) as unknown as { reason: string; involvedObject: { name: string } }[];
    expect(events.some((e) => e.reason === 'ChildApplied' && e.involvedObject.name === 'w1')).toBe(true);
  });
});

it('sends no write, status or otherwise, when a reconcile finds nothing changed', async () => {
  await eventually(async () => expect((await readWidget('w1')).status?.conditions?.[0]?.status).toBe('True'));
  // Let the reconciles caused by its own writes finish, then take the baseline.
  await new Promise((r) => setTimeout(r, 2_000));
  const writesBefore = running.writes.filter((w) => !w.includes('/leases/')).length;
  const statusPatchesBefore = await apiServerCounter(api.rest, 'apiserver_request_total', { resource: 'widgets', subresource: 'status', verb: 'PATCH' });
  const reconcilesBefore = running.reconciled.length;
  // Both counters saw the writes of converging, so a zero difference below means something.
  expect([writesBefore > 0, statusPatchesBefore > 0]).toEqual([true, true]);

  // A metadata-only change: an update event and a reconcile, but nothing for the controller to do.
  await api.client.mergePatch(Widgets, { name: 'w1', namespace: ns.name }, { metadata: { annotations: { poke: '1' } } });
  await eventually(() => expect(running.reconciled.length).toBeGreaterThan(reconcilesBefore));
  await new Promise((r) => setTimeout(r, 1_000));

  expect(running.writes.filter((w) => !w.includes('/leases/')).slice(writesBefore)).toEqual([]);
  expect(await apiServerCounter(api.rest, 'apiserver_request_total', { resource: 'widgets', subresource: 'status', verb: 'PATCH' })).toBe(statusPatchesBefore);
});

it('follows a spec change into the child and the observed generation', async () => {
  await api.client.mergePatch(Widgets, { name: 'w1', namespace: ns.name }, { spec: { message: 'bye' } });
  await eventually(async () => expect((await readChild('w1')).data).toEqual({ message: 'bye' }));
  await eventually(async () => {
    const w = await readWidget('w1');
    expect(w.status?.observedGeneration).toBe(w.metadata.generation);
  });
});

it('re-creates a deleted child', async () => {
  await api.client.delete(Resources.ConfigMap, { name: 'w1-widget', namespace: ns.name });
  await eventually(async () => expect((await readChild('w1')).data).toEqual({ message: 'bye' }));
});

it('finalizes a deleted widget: child deleted, finalizer removed, widget gone', async () => {
  await api.client.delete(Widgets, { name: 'w1', namespace: ns.name });
  await eventually(async () => expect(await api.client.find(Widgets, 'w1', ns.name)).toBeUndefined());
  expect(await api.client.find(Resources.ConfigMap, 'w1-widget', ns.name)).toBeUndefined();
});

it('marks an invalid widget not Ready and does not retry it until it changes', async () => {
  await api.client.create(Widgets, widget('bad', 42));
  await eventually(async () => {
    const w = await readWidget('bad');
    expect(w.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });
  await new Promise((r) => setTimeout(r, 2_000));
  const tries = running.reconciled.filter((k) => k === `${ns.name}/bad`).length;
  await new Promise((r) => setTimeout(r, 3_000)); // backoff retries would have come by now (5 ms, 10 ms, …)
  expect(running.reconciled.filter((k) => k === `${ns.name}/bad`).length).toBe(tries);

  await api.client.mergePatch(Widgets, { name: 'bad', namespace: ns.name }, { spec: { message: 'fixed' } });
  await eventually(async () => expect((await readWidget('bad')).status?.conditions?.[0]?.status).toBe('True'));
});

it('serves its metrics and readiness', async () => {
  const metrics = await (await fetch(`${running.mgr.metricsUrl}/metrics`)).text();
  expect(metrics).toMatch(/controller_runtime_reconcile_total\{controller="widget",result="success"\} [1-9]/);
  expect(metrics).toMatch(/rest_client_requests_total\{method="PATCH",code="200"\} [1-9]/);
  expect((await fetch(`${running.mgr.healthUrl}/readyz`)).status).toBe(200);
});
