/**
 * Restarting kube-apiserver under a running manager loses no update: changes made before the
 * restart, and right after it while the informer is still reconnecting (creates, updates and a
 * delete), all reach the cache and the reconciler. Runs on a cluster of its own, so the restart
 * does not disturb other test files using the shared one.
 */
import { eventually } from '@kaito-ts/core/testing';
import { defineResource, Resources } from '../api/resource.js';
import { keyOf, type KubeObject } from '../api/object.js';
import { watch } from '../controller/watches.js';
import { Manager } from '../manager/manager.js';
import { silentLogger } from '../testing/logger.js';
import { clientFor, dedicatedCluster, deleteDedicatedCluster, kubeConfigAt, restartApiServer } from './helpers.js';

const CLUSTER = 'cr-apiserver-restart';
const NAMESPACE = 'restart-test';
let kubeconfig: string;

beforeAll(async () => {
  kubeconfig = await dedicatedCluster(CLUSTER);
}, 240_000);

afterAll(async () => {
  await deleteDedicatedCluster(CLUSTER);
}, 120_000);

type ConfigMap = KubeObject & { data?: Record<string, string> };
const ConfigMaps = defineResource<ConfigMap>(Resources.ConfigMap);
const LABEL = 'controller-runtime.test/restart';
const cm = (name: string, v: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NAMESPACE, labels: { [LABEL]: 'true' } },
  data: { v },
});

it('loses no update when kube-apiserver restarts mid-watch', async () => {
  const kc = kubeConfigAt(kubeconfig);
  const { rest, client } = clientFor(kc);
  await rest.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });

  const seen = new Map<string, string>();
  const mgr = new Manager({ kubeConfig: kc, logger: silentLogger(), metricsPort: false, healthPort: false, processMetrics: false });
  const configMaps = mgr.informer(ConfigMaps);
  mgr.add({
    name: 'recorder',
    watches: [watch(ConfigMaps, { mapToKeys: (o) => (o.metadata.labels?.[LABEL] ? [keyOf(o)] : []) })],
    reconcile: async (key) => {
      const obj = configMaps.getByKey(key);
      seen.set(key, obj === undefined ? 'deleted' : (obj.data?.['v'] ?? ''));
      return {};
    },
  });
  const abort = new AbortController();
  const done = mgr.start({ signal: abort.signal });
  await mgr.whenLeading();

  for (const name of ['a', 'b', 'c']) await client.create(ConfigMaps, cm(name, '0'));
  await eventually(() => expect(Object.fromEntries(seen)).toEqual({ [`${NAMESPACE}/a`]: '0', [`${NAMESPACE}/b`]: '0', [`${NAMESPACE}/c`]: '0' }));
  await client.replace(ConfigMaps, { ...(await client.get(ConfigMaps, 'a', NAMESPACE)), data: { v: '1' } });

  await restartApiServer(CLUSTER);
  // Write as soon as the new API server answers, while the informer is still backing off.
  await eventually(() => rest.requestText({ method: 'GET', path: '/readyz' }), { timeoutMs: 90_000, intervalMs: 100, description: 'kube-apiserver ready again' });
  const a = await client.get(ConfigMaps, 'a', NAMESPACE);
  await client.replace(ConfigMaps, { ...a, data: { v: '2' } });
  await client.mergePatch(ConfigMaps, { name: 'b', namespace: NAMESPACE }, { data: { v: '1' } });
  await client.delete(ConfigMaps, { name: 'c', namespace: NAMESPACE });
  await client.create(ConfigMaps, cm('d', '0'));

  const expected = { [`${NAMESPACE}/a`]: '2', [`${NAMESPACE}/b`]: '1', [`${NAMESPACE}/c`]: 'deleted', [`${NAMESPACE}/d`]: '0' };
  await eventually(() => expect(Object.fromEntries(seen)).toEqual(expected), { timeoutMs: 60_000, description: 'every change reconciled' });
  // The cache equals the API server's own list, object for object.
  const listed = (await client.list(ConfigMaps, { namespace: NAMESPACE, labelSelector: `${LABEL}=true` })).map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
  expect(configMaps.list(NAMESPACE).filter((o) => o.metadata.labels?.[LABEL]).map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort()).toEqual(listed);
  // And the watch really was broken by the restart.
  const watchErrors = (await mgr.metrics.informerWatchErrors.get()).values.filter((v) => v.labels['resource'] === 'ConfigMap/v1');
  expect(watchErrors.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);

  abort.abort();
  await done;
  await rest.close();
}, 180_000);
