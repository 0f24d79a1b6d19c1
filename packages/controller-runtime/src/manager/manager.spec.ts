import { Resources } from '../api/resource.js';
import { LeaderElectionLostError } from '../errors.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { FakeClock, flushPromises } from '../testing/fake-clock.js';
import { silentLogger } from '../testing/logger.js';
import { FakeEventRecorder } from '../testing/fake-event-recorder.js';
import { type Widget, widgetController, Widgets, WIDGET_FINALIZER } from '../testing/widget-controller.js';
import type { Controller } from '../controller/types.js';
import { watch } from '../controller/watches.js';
import { Manager, type ManagerOptions } from './manager.js';

const widget = (name: string, message: unknown = 'hello'): Widget => ({
  apiVersion: 'test.kaito.sh/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'ns' },
  spec: { message },
});

function newServer(clock: FakeClock) {
  return new FakeApiServer({ clock, resources: [{ resource: Widgets, status: true }] });
}

function newManager(server: FakeApiServer, clock: FakeClock, extra: Partial<ManagerOptions> = {}) {
  return new Manager({
    transport: server,
    logger: silentLogger(),
    clock,
    metricsPort: false,
    healthPort: false,
    processMetrics: false,
    syncPeriodMs: 60 * 60 * 1000,
    ...extra,
  });
}

/** Runs a manager with the sample controller; `reconciled` counts its reconciles. */
async function running(server: FakeApiServer, clock: FakeClock, extra: Partial<ManagerOptions> = {}) {
  const mgr = newManager(server, clock, extra);
  const reconciled: string[] = [];
  const events = new FakeEventRecorder();
  mgr.add(widgetController(mgr, { events, onReconcile: (k) => reconciled.push(k), now: () => new Date(clock.now()).toISOString() }));
  const abort = new AbortController();
  const done = mgr.start({ signal: abort.signal });
  await flushPromises();
  return { mgr, reconciled, events, abort, done };
}

async function settle(clock: FakeClock, ms = 1_000): Promise<void> {
  await clock.advanceAsync(ms);
  await flushPromises();
}

describe('Manager with the sample controller', () => {
  it('converges: finalizer added, owned child applied, Ready status written', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const { abort, done, events } = await running(server, clock);
    await settle(clock);
    const stored = server.get<Widget>(Widgets, 'w1', 'ns');
    const child = server.get<{ data: Record<string, string>; metadata: { ownerReferences: unknown[] } }>(Resources.ConfigMap, 'w1-widget', 'ns');
    expect(stored?.metadata.finalizers).toEqual([WIDGET_FINALIZER]);
    expect(stored?.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['Ready', 'True', 'ChildApplied']]);
    expect(child?.data).toEqual({ message: 'hello' });
    expect(child?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Widget', name: 'w1', controller: true })]);
    expect(events.reasons()).toEqual(['ChildApplied']);
    abort.abort();
    await done;
  });

  it('writes nothing when it reconciles an unchanged widget again', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const { abort, done, reconciled } = await running(server, clock);
    await settle(clock);
    const writes = server.writes().length;
    const before = reconciled.length;
    await settle(clock, 60 * 60 * 1000); // a resync: every cached object is reconciled again
    expect(reconciled.length).toBeGreaterThan(before);
    expect(server.writes().length).toBe(writes);
    abort.abort();
    await done;
  });

  it('re-creates the child when someone deletes it', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const { abort, done } = await running(server, clock);
    await settle(clock);
    await server.request({ method: 'DELETE', path: '/api/v1/namespaces/ns/configmaps/w1-widget' });
    await settle(clock);
    expect(server.get(Resources.ConfigMap, 'w1-widget', 'ns')).toBeDefined();
    abort.abort();
    await done;
  });

  it('follows a spec change into the child', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const { abort, done } = await running(server, clock);
    await settle(clock);
    await server.request({
      method: 'PATCH',
      path: '/apis/test.kaito.sh/v1/namespaces/ns/widgets/w1',
      body: { spec: { message: 'bye' } },
      contentType: 'application/merge-patch+json',
    });
    await settle(clock);
    expect(server.get<{ data: Record<string, string> }>(Resources.ConfigMap, 'w1-widget', 'ns')?.data).toEqual({ message: 'bye' });
    expect(server.get<Widget>(Widgets, 'w1', 'ns')?.status?.observedGeneration).toBe(2);
    abort.abort();
    await done;
  });

  it('deletes the child, then removes its finalizer, when the widget is deleted', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const { abort, done } = await running(server, clock);
    await settle(clock);
    await server.request({ method: 'DELETE', path: '/apis/test.kaito.sh/v1/namespaces/ns/widgets/w1' });
    await settle(clock);
    expect([server.get(Widgets, 'w1', 'ns'), server.get(Resources.ConfigMap, 'w1-widget', 'ns')]).toEqual([undefined, undefined]);
    abort.abort();
    await done;
  });

  it('does not retry an invalid widget until it changes, and says why in its status', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('bad', 42));
    const { abort, done, reconciled } = await running(server, clock);
    await settle(clock, 10 * 60 * 1000);
    expect(reconciled.filter((k) => k === 'ns/bad')).toHaveLength(2); // first try, then the update its own status patch caused
    expect(server.get<Widget>(Widgets, 'bad', 'ns')?.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    abort.abort();
    await done;
  });
});

describe('Manager leader election', () => {
  const election = { leaseName: 'widget-controller', leaseNamespace: 'kube-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

  it('lets exactly one of two managers reconcile', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    const a = await running(server, clock, { leaderElection: { ...election, identity: 'a' } });
    const b = await running(server, clock, { leaderElection: { ...election, identity: 'b' } });
    server.seed(widget('w1'));
    server.seed(widget('w2'));
    await settle(clock, 30_000);
    expect([a.mgr.isLeader, b.mgr.isLeader]).toEqual([true, false]);
    expect(a.reconciled.length).toBeGreaterThan(0);
    expect(b.reconciled).toEqual([]);
    b.abort.abort();
    a.abort.abort();
    await Promise.all([a.done, b.done]);
  });

  it('hands over to the standby on graceful stop, after draining, by releasing the lease', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    const a = await running(server, clock, { leaderElection: { ...election, identity: 'a' } });
    const b = await running(server, clock, { leaderElection: { ...election, identity: 'b' } });
    await settle(clock, 5_000);
    a.abort.abort();
    await a.done;
    expect(server.get<{ spec: { holderIdentity: string } }>(Resources.Lease, 'widget-controller', 'kube-system')?.spec.holderIdentity).toBe('');
    server.seed(widget('w1'));
    await settle(clock, 2_500);
    expect([b.mgr.isLeader, [...new Set(b.reconciled)]]).toEqual([true, ['ns/w1']]);
    b.abort.abort();
    await b.done;
  });

  it('stops reconciling at once and rejects start() when the lease is lost', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    const a = await running(server, clock, { leaderElection: { ...election, identity: 'a' } });
    await settle(clock);
    const lease = server.get<{ metadata: object; spec: object }>(Resources.Lease, 'widget-controller', 'kube-system');
    await server.request({
      method: 'PUT',
      path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/widget-controller',
      body: { ...lease, spec: { ...lease?.spec, holderIdentity: 'usurper' } },
    });
    const failure = a.done.catch((e: unknown) => e);
    await settle(clock, 2_000);
    expect(await failure).toBeInstanceOf(LeaderElectionLostError);
    const count = a.reconciled.length;
    server.seed(widget('after'));
    await settle(clock, 5_000);
    expect(a.reconciled.length).toBe(count);
  });
});

describe('Manager lifecycle', () => {
  it('drains a reconcile in flight before start() resolves', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const mgr = newManager(server, clock);
    let release!: () => void;
    let finished = false;
    const slow: Controller = {
      name: 'slow',
      watches: [watch(Widgets)],
      reconcile: () =>
        new Promise((resolve) => {
          release = () => {
            finished = true;
            resolve({});
          };
        }),
    };
    mgr.add(slow);
    const abort = new AbortController();
    const done = mgr.start({ signal: abort.signal });
    await settle(clock);
    abort.abort();
    let resolved = false;
    void done.then(() => (resolved = true));
    await flushPromises();
    expect(resolved).toBe(false);
    release();
    await done;
    expect(finished).toBe(true);
  });

  it('refuses controllers added after start', async () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    const abort = new AbortController();
    const done = mgr.start({ signal: abort.signal });
    expect(() => mgr.add({ name: 'late', watches: [], reconcile: async () => ({}) })).toThrow(/before starting/);
    abort.abort();
    await done;
  });

  it('caches only what a configured selector selects', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine', namespace: 'ns', labels: { app: 'kaito' } } });
    server.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'ns' } });
    const mgr = newManager(server, clock, { cacheSelectors: { 'ConfigMap/v1': { labelSelector: 'app=kaito' } } });
    const configMaps = mgr.informer(Resources.ConfigMap);
    const abort = new AbortController();
    const done = mgr.start({ signal: abort.signal });
    await configMaps.waitForSync();
    expect(configMaps.list().map((o) => o.metadata.name)).toEqual(['mine']);
    abort.abort();
    await done;
  });

  it('shares one cache per resource between callers', () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    expect(mgr.informer(Resources.ConfigMap)).toBe(mgr.informer(Resources.ConfigMap));
  });
});

describe('Manager endpoints', () => {
  it('serves metrics, liveness and readiness over HTTP', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const { mgr, abort, done } = await running(server, clock, { metricsPort: 0, healthPort: 0, bindAddress: '127.0.0.1' });
    await settle(clock);
    const metrics = await (await fetch(`${mgr.metricsUrl}/metrics`)).text();
    const healthz = await fetch(`${mgr.healthUrl}/healthz`);
    const readyz = await fetch(`${mgr.healthUrl}/readyz?verbose`);
    expect(metrics).toMatch(/controller_runtime_reconcile_total\{controller="widget",result="success"\} [1-9]/);
    expect(metrics).toMatch(/workqueue_depth\{name="widget",controller="widget"\} 0/);
    expect([healthz.status, await healthz.text()]).toEqual([200, 'ok']);
    expect([readyz.status, await readyz.text()]).toEqual([200, '[+]informers ok\nreadyz check passed\n']);
    abort.abort();
    await done;
  });

  it('is not ready until its caches have synced', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.down = true;
    const { mgr, abort, done } = await running(server, clock, { metricsPort: false, healthPort: 0, bindAddress: '127.0.0.1' });
    const readyz = await fetch(`${mgr.healthUrl}/readyz`);
    expect([readyz.status, (await readyz.text()).split('\n')[0]]).toEqual([500, '[-]informers failed: caches not synced: Widget.test.kaito.sh/v1, ConfigMap/v1']);
    abort.abort();
    await done;
  });
});

describe('Manager runnables', () => {
  const election = { leaseName: 'widget-controller', leaseNamespace: 'kube-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

  it('starts a periodic task only once the caches it names have synced, then runs it every interval', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.down = true;
    const mgr = newManager(server, clock);
    const runs: boolean[] = [];
    mgr.addPeriodic({ name: 'sweep', intervalMs: 10_000, waitForCaches: [Widgets], run: () => Promise.resolve(void runs.push(mgr.informer(Widgets).hasSynced)) });
    const abort = new AbortController();
    const done = mgr.start({ signal: abort.signal });
    await settle(clock, 30_000);
    expect(runs).toEqual([]);
    server.down = false;
    await settle(clock, 60_000);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.every((synced) => synced)).toBe(true);
    const count = runs.length;
    await settle(clock, 10_000);
    expect(runs.length).toBe(count + 1);
    abort.abort();
    await done;
  });

  it('runs a leader-only periodic task on the leader alone, and one with needLeaderElection: false on every replica', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    const ran: string[] = [];
    const replica = (identity: string) => {
      const mgr = newManager(server, clock, { leaderElection: { ...election, identity } });
      mgr.addPeriodic({ name: 'gc', intervalMs: 60_000, run: () => Promise.resolve(void ran.push(`gc@${identity}`)) });
      mgr.addPeriodic({ name: 'warm', intervalMs: 60_000, needLeaderElection: false, run: () => Promise.resolve(void ran.push(`warm@${identity}`)) });
      const abort = new AbortController();
      return { mgr, abort, done: mgr.start({ signal: abort.signal }) };
    };
    const a = replica('a');
    await settle(clock, 5_000);
    const b = replica('b');
    await settle(clock, 5_000);
    expect([...new Set(ran)].sort()).toEqual(['gc@a', 'warm@a', 'warm@b']);
    b.abort.abort();
    a.abort.abort();
    await Promise.all([a.done, b.done]);
  });

  it('aborts a leader-only periodic run in flight when the lease is lost, and starts no other', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    const mgr = newManager(server, clock, { leaderElection: { ...election, identity: 'a' } });
    const signals: AbortSignal[] = [];
    mgr.addPeriodic({ name: 'gc', intervalMs: 1_000, run: (ctx) => new Promise<void>((_resolve, reject) => (signals.push(ctx.signal), ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)))) });
    const done = mgr.start();
    const failure = done.catch((e: unknown) => e);
    await settle(clock);
    expect(signals.map((s) => s.aborted)).toEqual([false]);
    const lease = server.get<{ metadata: object; spec: object }>(Resources.Lease, 'widget-controller', 'kube-system');
    await server.request({
      method: 'PUT',
      path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/widget-controller',
      body: { ...lease, spec: { ...lease?.spec, holderIdentity: 'usurper' } },
    });
    await settle(clock, 2_000);
    expect(await failure).toBeInstanceOf(LeaderElectionLostError);
    await settle(clock, 10_000);
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it('stop({ timeoutMs }) drains for that long, then aborts the signal of a reconcile still running and reports it', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const mgr = newManager(server, clock);
    let signal: AbortSignal | undefined;
    mgr.add({
      name: 'stuck',
      watches: [watch(Widgets)],
      reconcile: (_key, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined); // ignores its signal, as a wedged call would
      },
    });
    const done = mgr.start();
    await settle(clock);
    expect(signal?.aborted).toBe(false);
    const stopped = mgr.stop({ timeoutMs: 5_000 });
    await settle(clock, 4_999);
    expect(signal?.aborted).toBe(false);
    await settle(clock, 1);
    expect(await stopped).toEqual({ notStopped: ['stuck'] });
    expect(signal?.aborted).toBe(true);
    await done;
  });

  it('keeps the lease (standbys wait for it to expire) when a reconcile outlived the graceful shutdown timeout', async () => {
    const clock = new FakeClock();
    const server = newServer(clock);
    server.seed(widget('w1'));
    const mgr = newManager(server, clock, { leaderElection: { ...election, identity: 'a' } });
    mgr.add({ name: 'stuck', watches: [watch(Widgets)], reconcile: () => new Promise(() => undefined) });
    const done = mgr.start();
    await settle(clock, 5_000);
    const stopped = mgr.stop({ timeoutMs: 1_000 });
    await settle(clock, 1_000);
    expect(await stopped).toEqual({ notStopped: ['stuck'] });
    await done;
    expect(server.get<{ spec: { holderIdentity?: string } }>(Resources.Lease, 'widget-controller', 'kube-system')?.spec.holderIdentity).toBe('a');
  });

  it('stop({ timeoutMs: 0 }) aborts a periodic run in flight at once', async () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    let aborted: unknown;
    mgr.addPeriodic({
      name: 'gc',
      intervalMs: 60_000,
      run: (ctx) =>
        new Promise<void>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            reject(ctx.signal.reason as Error);
          }),
        ),
    });
    const done = mgr.start();
    await settle(clock);
    const report = mgr.stop({ timeoutMs: 0 });
    await settle(clock, 0);
    expect(await report).toEqual({ notStopped: ['gc'] });
    expect(String(aborted)).toBe('Error: gc: graceful shutdown timed out after 0 ms');
    await done;
  });

  it('aborts a runnable at stop and waits for it to return', async () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    const phases: string[] = [];
    mgr.addRunnable({
      name: 'loop',
      needLeaderElection: false,
      start: async (ctx) => {
        phases.push('started');
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        await Promise.resolve();
        phases.push('returned');
      },
    });
    const abort = new AbortController();
    const done = mgr.start({ signal: abort.signal });
    await settle(clock);
    expect(phases).toEqual(['started']);
    abort.abort();
    await done;
    expect(phases).toEqual(['started', 'returned']);
  });

  it('stops, and rejects start() with its error, when a runnable fails', async () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    mgr.addRunnable({ name: 'loop', start: () => Promise.reject(new Error('cannot reach the cloud')) });
    await expect(mgr.start()).rejects.toThrow('cannot reach the cloud');
  });

  it('stops, and rejects start() with its error, when a runnable throws before returning a promise', async () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    mgr.addRunnable({
      name: 'loop',
      start: () => {
        throw new Error('no cloud credentials');
      },
    });
    await expect(mgr.start()).rejects.toThrow('no cloud credentials');
  });

  it('refuses two runnables of one name, whatever their kinds', () => {
    const clock = new FakeClock();
    const mgr = newManager(newServer(clock), clock);
    mgr.add({ name: 'gc', watches: [], reconcile: async () => ({}) });
    expect(() => mgr.addPeriodic({ name: 'gc', intervalMs: 1_000, run: () => Promise.resolve() })).toThrow(
      'gc added twice: controllers, periodic tasks and runnables need distinct names',
    );
  });
});
