import * as t from 'io-ts';
import { defineResource, Resources } from '../api/resource.js';
import { KubeObject } from '../api/object.js';
import { FakeClock, flushPromises } from '../testing/fake-clock.js';
import { FakeListWatch } from '../testing/fake-list-watch.js';
import { recordingLogger, silentLogger } from '../testing/logger.js';
import { makeConfigMap, type ConfigMapLike } from '../testing/objects.js';
import { TransportError } from '../errors.js';
import { Informer, type InformerOptions } from './informer.js';
import { labelIndex, ownerIndex } from './store.js';

const ConfigMaps = defineResource<ConfigMapLike>({ ...Resources.ConfigMap });

interface Recorded {
  readonly events: string[];
}

function setup(initial: ConfigMapLike[] = [], options: Partial<InformerOptions<ConfigMapLike>> = {}) {
  const clock = new FakeClock();
  const source = new FakeListWatch(initial);
  const informer = new Informer<ConfigMapLike>({
    resource: ConfigMaps,
    source,
    clock,
    logger: silentLogger(),
    random: () => 0,
    pageSize: 2,
    ...options,
  });
  const rec: Recorded = { events: [] };
  informer.addEventHandler({
    onAdd: (o) => rec.events.push(`add ${o.metadata.name} ${o.data?.v ?? ''}`.trim()),
    onUpdate: (_old, o) => rec.events.push(`update ${o.metadata.name} ${o.data?.v ?? ''}`.trim()),
    onDelete: (o) => rec.events.push(`delete ${o.metadata.name}`),
  });
  return { clock, source, informer, rec };
}

const cm = (name: string, v?: string, labels?: Record<string, string>) =>
  makeConfigMap({ metadata: { name, ...(labels ? { labels } : {}) }, data: v === undefined ? {} : { v } });

async function started(s: ReturnType<typeof setup>) {
  s.informer.start();
  await s.informer.waitForSync();
  await flushPromises();
  return s;
}

describe('Informer list and watch', () => {
  it('caches every listed object across pages', async () => {
    const { informer } = await started(setup([cm('a'), cm('b'), cm('c')]));
    expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'c']);
    await informer.stop();
  });

  it('misses no write made between the pages of its list (the pages are one snapshot)', async () => {
    const s = setup([cm('a', '1'), cm('b'), cm('c')]);
    const list = s.source.list.bind(s.source);
    s.source.list = async (options) => {
      const page = await list(options);
      if (options.continue === undefined) s.source.update(cm('a', '2')); // after the first page, before the second
      return page;
    };
    await started(s);
    expect(s.source.listCalls).toHaveLength(2);
    expect(s.informer.get('default', 'a')?.data?.v).toBe('2');
    await s.informer.stop();
  });

  it('reports synced only after the first list', async () => {
    const s = setup([cm('a')]);
    expect(s.informer.hasSynced).toBe(false);
    await started(s);
    expect(s.informer.hasSynced).toBe(true);
    await s.informer.stop();
  });

  it('delivers an add for each listed object', async () => {
    const { informer, rec } = await started(setup([cm('a'), cm('b')]));
    expect(rec.events.sort()).toEqual(['add a', 'add b']);
    await informer.stop();
  });

  it('watches from the resourceVersion of the list', async () => {
    const { informer, source } = await started(setup([cm('a')]));
    expect(source.watchCalls[0]?.resourceVersion).toBe(informer.lastSyncResourceVersion);
    expect(source.watchCalls[0]?.allowWatchBookmarks).toBe(true);
    await informer.stop();
  });

  it('applies watched adds, updates and deletes to the cache and the handlers', async () => {
    const { informer, source, rec } = await started(setup());
    source.create(cm('a', '1'));
    source.update(cm('a', '2'));
    source.delete('default/a');
    expect(rec.events).toEqual(['add a 1', 'update a 2', 'delete a']);
    expect(informer.size).toBe(0);
    await informer.stop();
  });

  it('fills in apiVersion and kind that list items lack', async () => {
    const bare = cm('a') as Partial<ConfigMapLike>;
    delete bare.apiVersion;
    delete bare.kind;
    const { informer } = await started(setup([bare as ConfigMapLike]));
    expect(informer.get('default', 'a')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    await informer.stop();
  });

  it('drops managedFields from cached objects by default', async () => {
    const withFields = makeConfigMap({ metadata: { name: 'a', managedFields: [{ manager: 'kubectl' }] } as never });
    const { informer } = await started(setup([withFields]));
    expect((informer.get('default', 'a')?.metadata as { managedFields?: unknown }).managedFields).toBeUndefined();
    await informer.stop();
  });

  it('does not let a caller change a cached object through what it reads or is handed', async () => {
    const s = await started(setup([cm('a', '1', { app: 'web' })]));
    const seen: ConfigMapLike[] = [];
    s.informer.addEventHandler({ onUpdate: (_old, o) => seen.push(o) });
    s.source.update(cm('a', '2', { app: 'web' }));
    const attempts = [
      (o: ConfigMapLike) => ((o.data as Record<string, string>)['v'] = 'changed'),
      (o: ConfigMapLike) => ((o.metadata.labels as Record<string, string>)['app'] = 'db'),
      (o: ConfigMapLike) => (o.metadata.finalizers = ['mine']),
    ];
    for (const obj of [s.informer.get('default', 'a'), s.informer.list()[0], seen[0]]) {
      for (const mutate of attempts) {
        try {
          mutate(obj as ConfigMapLike);
        } catch {
          // refusing the write is fine; changing the cache is not
        }
      }
    }
    expect(s.informer.get('default', 'a')).toMatchObject({ data: { v: '2' }, metadata: { labels: { app: 'web' } } });
    expect(s.informer.get('default', 'a')?.metadata.finalizers).toBeUndefined();
    await s.informer.stop();
  });

  it('gives a handler added after sync an add for every cached object', async () => {
    const { informer } = await started(setup([cm('a'), cm('b')]));
    const late: string[] = [];
    informer.addEventHandler({ onAdd: (o) => late.push(o.metadata.name) });
    expect(late.sort()).toEqual(['a', 'b']);
    await informer.stop();
  });

  it('stops even when stopped between its first list and its first watch', async () => {
    const s = setup([cm('a')]);
    s.informer.start();
    await s.informer.waitForSync();
    await s.informer.stop();
    expect(s.source.openWatches).toBe(0);
  });

  it('stops watching when stopped', async () => {
    const { informer, source } = await started(setup());
    await informer.stop();
    expect(source.openWatches).toBe(0);
  });
});

describe('Informer recovery', () => {
  it('watches again from the last resourceVersion when the server ends the watch, without relisting', async () => {
    const { informer, source } = await started(setup([cm('a')]));
    source.update(cm('a', '2'));
    const rv = source.resourceVersion;
    source.closeWatches();
    await flushPromises();
    expect(source.listCalls.filter((c) => c.continue === undefined)).toHaveLength(1);
    expect(source.watchCalls.at(-1)?.resourceVersion).toBe(rv);
    await informer.stop();
  });

  it('receives updates made while the connection was down once it re-watches', async () => {
    const { informer, source, clock, rec } = await started(setup([cm('a', '1')]));
    source.dropWatches();
    await flushPromises();
    source.update(cm('a', '2'));
    source.create(cm('b', '1'));
    await clock.advanceAsync(1_000);
    expect(rec.events.slice(-2)).toEqual(['update a 2', 'add b 1']);
    await informer.stop();
  });

  it('backs off before re-watching after a transport error', async () => {
    const { informer, source, clock } = await started(setup());
    source.dropWatches();
    await flushPromises();
    const watches = source.watchCalls.length;
    await clock.advanceAsync(799);
    expect(source.watchCalls.length).toBe(watches);
    await clock.advanceAsync(1);
    expect(source.watchCalls.length).toBe(watches + 1);
    await informer.stop();
  });

  it('relists when the watch reports 410 Gone and emits deletes missed meanwhile', async () => {
    const { informer, source, rec, clock } = await started(setup([cm('a', '1'), cm('b', '1')]));
    source.dropWatches();
    source.delete('default/a');
    source.update(cm('b', '2'));
    source.compact();
    await clock.advanceAsync(1_000);
    expect(rec.events.slice(2).sort()).toEqual(['delete a', 'update b 2']);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['b']);
    await informer.stop();
  });

  it('reports an object deleted and created again while disconnected as a delete and an add, not an update', async () => {
    const { informer, source, rec, clock } = await started(setup([cm('a', '1')]));
    source.dropWatches();
    source.delete('default/a');
    source.create(makeConfigMap({ metadata: { name: 'a', uid: 'uid-a-again' }, data: { v: '2' } }));
    source.compact();
    await clock.advanceAsync(1_000);
    expect(rec.events.slice(1)).toEqual(['delete a', 'add a 2']);
    expect(informer.get('default', 'a')?.metadata.uid).toBe('uid-a-again');
    await informer.stop();
  });

  it('relists when a watch is refused with HTTP 410', async () => {
    const { informer, source, clock } = await started(setup([cm('a', '1')]));
    source.goneAs = 'status';
    source.closeWatches();
    source.update(cm('a', '2'));
    source.compact();
    await clock.advanceAsync(1_000);
    expect(informer.get('default', 'a')?.data?.v).toBe('2');
    await informer.stop();
  });

  it('relists when an open watch gets an ERROR 410 event', async () => {
    const { informer, source } = await started(setup([cm('a')]));
    const lists = source.listCalls.length;
    source.expireWatches();
    await flushPromises();
    expect(source.listCalls.length).toBeGreaterThan(lists);
    await informer.stop();
  });

  it('resumes from a bookmark’s resourceVersion', async () => {
    const { informer, source } = await started(setup([cm('a')]));
    source.create(makeConfigMap({ metadata: { name: 'x', namespace: 'elsewhere' } }));
    source.bookmark();
    const rv = source.resourceVersion;
    source.closeWatches();
    await flushPromises();
    expect(source.watchCalls.at(-1)?.resourceVersion).toBe(rv);
    await informer.stop();
  });

  it('retries a failed list after a backoff', async () => {
    const s = setup([cm('a')]);
    s.source.nextListError = new TransportError('connection refused');
    s.informer.start();
    await flushPromises();
    expect(s.informer.hasSynced).toBe(false);
    await s.clock.advanceAsync(800);
    expect(s.informer.hasSynced).toBe(true);
    await s.informer.stop();
  });

  it('starts the backoff over after a watch that worked, so one flaky period does not slow every later reconnect', async () => {
    const { informer, source, clock, rec } = await started(setup([cm('a', '1')]));
    // An outage: the watch breaks and the next two attempts fail (800 ms, 1.6 s, 3.2 s).
    source.dropWatches();
    await flushPromises();
    source.nextWatchError = new TransportError('connection refused');
    await clock.advanceAsync(800);
    source.nextWatchError = new TransportError('connection refused');
    await clock.advanceAsync(1_600);
    await clock.advanceAsync(3_200);
    expect(source.openWatches).toBe(1);
    // Healthy again for a while, delivering updates; then one more dropped connection.
    source.update(cm('a', '2'));
    await clock.advanceAsync(60_000);
    source.dropWatches();
    await flushPromises();
    source.update(cm('a', '3'));
    await clock.advanceAsync(800);
    expect(source.openWatches).toBe(1);
    expect(rec.events.at(-1)).toBe('update a 3');
    await informer.stop();
  });

  it('logs a failed watch with the error and the retry delay', async () => {
    const { logger, lines } = recordingLogger();
    const s = await started(setup([], { logger }));
    s.source.dropWatches();
    await flushPromises();
    expect(lines.find((l) => l.message === 'watch failed, retrying')).toMatchObject({ error: 'connection reset', retryInMs: 800 });
    await s.informer.stop();
  });
});

describe('Informer decoding', () => {
  const Strict = defineResource<ConfigMapLike>({
    ...Resources.ConfigMap,
    codec: t.intersection([KubeObject, t.type({ data: t.record(t.string, t.string) })]) as unknown as t.Type<ConfigMapLike>,
  });

  it('drops a watched object that does not match the codec', async () => {
    const { informer, source } = await started(setup([], { resource: Strict }));
    source.create({ ...cm('bad'), data: { v: 42 } } as unknown as ConfigMapLike);
    expect(informer.get('default', 'bad')).toBeUndefined();
    await informer.stop();
  });

  it('keeps the last good version of an object whose update does not decode', async () => {
    const { informer, source } = await started(setup([cm('a', '1')], { resource: Strict }));
    source.update({ ...cm('a'), data: { v: 42 } } as unknown as ConfigMapLike);
    expect(informer.get('default', 'a')?.data?.v).toBe('1');
    await informer.stop();
  });

  it('does not treat a listed object that fails to decode as deleted', async () => {
    const { informer, source, rec, clock } = await started(setup([cm('a', '1')], { resource: Strict }));
    source.dropWatches();
    source.update({ ...cm('a'), data: { v: 42 } } as unknown as ConfigMapLike);
    source.compact();
    await clock.advanceAsync(1_000);
    expect(informer.lastSyncResourceVersion).toBe(source.resourceVersion); // it did relist
    expect(rec.events).not.toContain('delete a');
    await informer.stop();
  });
});

describe('Informer indexes and resync', () => {
  it('finds objects by an indexed label', async () => {
    const { informer } = await started(
      setup([cm('a', '', { app: 'web' }), cm('b', '', { app: 'db' }), cm('c', '', { app: 'web' })], {
        indexers: { app: labelIndex('app') },
      }),
    );
    expect(informer.byIndex('app', 'web').map((o) => o.metadata.name).sort()).toEqual(['a', 'c']);
    await informer.stop();
  });

  it('moves an object between index values when its label changes', async () => {
    const { informer, source } = await started(setup([cm('a', '', { app: 'web' })], { indexers: { app: labelIndex('app') } }));
    source.update(cm('a', '', { app: 'db' }));
    expect([informer.byIndex('app', 'web').length, informer.byIndex('app', 'db').length]).toEqual([0, 1]);
    await informer.stop();
  });

  it('finds objects by owner UID', async () => {
    const owned = makeConfigMap({
      metadata: { name: 'child', ownerReferences: [{ apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', name: 'ws', uid: 'ws-uid' }] },
    });
    const { informer } = await started(setup([owned, cm('other')], { indexers: { owner: ownerIndex() } }));
    expect(informer.byIndex('owner', 'ws-uid').map((o) => o.metadata.name)).toEqual(['child']);
    await informer.stop();
  });

  it('lists one namespace', async () => {
    const { informer } = await started(setup([cm('a'), makeConfigMap({ metadata: { name: 'b', namespace: 'other' } })]));
    expect(informer.list('other').map((o) => o.metadata.name)).toEqual(['b']);
    await informer.stop();
  });

  it('re-delivers every cached object as an update each resync period', async () => {
    const { informer, clock, rec } = await started(setup([cm('a'), cm('b')], { resyncPeriodMs: 60_000 }));
    rec.events.length = 0;
    await clock.advanceAsync(60_000);
    expect(rec.events.sort()).toEqual(['update a', 'update b']);
    await informer.stop();
  });
});
