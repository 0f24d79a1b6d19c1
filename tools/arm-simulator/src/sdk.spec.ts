import { ContainerServiceClient } from '@azure/arm-containerservice';
import { WorkloadIdentityCredential } from '@azure/identity';
import { type TestArmSimulator, startTestArmSimulator, TEST_CLIENT_ID, TEST_CLUSTER, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, TEST_TENANT } from './testing/index.js';

let sim: TestArmSimulator;
beforeAll(async () => {
  sim = await startTestArmSimulator();
});
afterAll(async () => {
  await sim.stop();
});

function client(): ContainerServiceClient {
  const credential = new WorkloadIdentityCredential({ tenantId: TEST_TENANT, clientId: TEST_CLIENT_ID, tokenFilePath: sim.tokenFile, authorityHost: `${sim.url}/`, disableInstanceDiscovery: true, agent: sim.agent });
  return new ContainerServiceClient(credential, TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent, retryOptions: { maxRetries: 0 } });
}

it('creates an agent pool', async () => {
  const pool = await client().agentPools.createOrUpdate(TEST_RESOURCE_GROUP, TEST_CLUSTER, 'gpu1', { vmSize: 'Standard_NC24ads_A100_v4', count: 1 }, { updateIntervalInMs: 10 });
  expect(pool.provisioningState).toBe('Succeeded');
  console.log(sim.requests.counters());
});
