/**
 * Against the real local control plane: a pool created through the Azure SDK shows up as a kwok
 * fake GPU Node with AKS's labels and providerID, becomes Ready, and goes away when the pool is deleted.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { WorkloadIdentityCredential } from '@azure/identity';
import { isNotFound, kubeClients, waitForNodeReady } from '@kaito-ts/cluster/testing';
import { eventually } from '@kaito-ts/core/testing';
import { KubeNodeSink } from './node-sink.js';
import { type TestArmSimulator, startTestArmSimulator, TEST_CLIENT_ID, TEST_CLUSTER, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, TEST_TENANT } from './testing/index.js';

const A100 = 'Standard_NC24ads_A100_v4';
// Unique per run: the cluster may be shared with other suites.
const POOL = `int${Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'a')}`;

let sim: TestArmSimulator;
beforeAll(async () => {
  sim = await startTestArmSimulator({ nodes: new KubeNodeSink(kubeClients().core), createDelayMs: 200, deleteDelayMs: 200 });
});
afterAll(async () => {
  await sim.stop();
});

it('makes a created pool a Ready AKS-labelled GPU Node and removes it on delete', async () => {
  const { core } = kubeClients();
  const credential = new WorkloadIdentityCredential({ tenantId: TEST_TENANT, clientId: TEST_CLIENT_ID, tokenFilePath: sim.tokenFile, authorityHost: `${sim.url}/`, disableInstanceDiscovery: true, agent: sim.agent });
  const client = new ContainerServiceClient(credential, TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent });
  const pool = await client.agentPools.createOrUpdate(TEST_RESOURCE_GROUP, TEST_CLUSTER, POOL, { vmSize: A100, count: 1, nodeLabels: { 'kaito.sh/workspace': 'int' }, nodeTaints: ['sku=gpu:NoSchedule'] }, { updateIntervalInMs: 50 });
  expect(pool.provisioningState).toBe('Succeeded');

  const nodes = await core.listNode({ labelSelector: `kubernetes.azure.com/agentpool=${POOL}` });
  expect(nodes.items).toHaveLength(1);
  const node = nodes.items[0];
  const name = node?.metadata?.name ?? '';
  expect(name).toMatch(new RegExp(`^aks-${POOL}-\\d{8}-vmss000000$`));
  expect(node?.metadata?.labels).toMatchObject({
    agentpool: POOL,
    'kubernetes.azure.com/agentpool': POOL,
    'node.kubernetes.io/instance-type': A100,
    'nvidia.com/gpu.present': 'true',
    'kaito.sh/workspace': 'int',
    'topology.kubernetes.io/region': 'eastus',
  });
  expect(node?.spec?.providerID).toBe(
    `azure:///subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/mc_${TEST_RESOURCE_GROUP}_${TEST_CLUSTER}_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/${name.slice(0, -6)}/virtualMachines/0`,
  );
  // The node lifecycle controller adds node.kubernetes.io/not-ready until the node is Ready; the
  // pool's own taints are the rest.
  const poolTaints = (node?.spec?.taints ?? []).filter((t) => !t.key.startsWith('node.kubernetes.io/')).map((t) => ({ key: t.key, value: t.value, effect: t.effect }));
  expect(poolTaints).toEqual([{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }]);
  const ready = await waitForNodeReady(core, name, 30_000);
  expect(ready.status?.allocatable?.['nvidia.com/gpu']).toBe('1');

  await client.agentPools.delete(TEST_RESOURCE_GROUP, TEST_CLUSTER, POOL, { updateIntervalInMs: 50 });
  await eventually(
    async () => {
      try {
        await core.readNode({ name });
        return false;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
    { timeoutMs: 30_000, description: `node ${name} deleted` },
  );
});
