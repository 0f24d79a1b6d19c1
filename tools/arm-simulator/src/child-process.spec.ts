/**
 * The path a deployed provisioner takes: a separate Node process that trusts the simulator's CA
 * only through NODE_EXTRA_CA_CERTS and reads its identity from the workload-identity env vars.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type TestArmSimulator, startTestArmSimulator, TEST_CLUSTER, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION } from './testing/index.js';

const run = promisify(execFile);

const SCRIPT = `
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { WorkloadIdentityCredential } from '@azure/identity';
const cred = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
const client = new ContainerServiceClient(cred, process.env.SUB, { endpoint: process.env.ARM_ENDPOINT });
const pool = await client.agentPools.createOrUpdate(process.env.RG, process.env.CLUSTER, 'child1', { vmSize: 'Standard_NC24ads_A100_v4', count: 1 }, { updateIntervalInMs: 20 });
process.stdout.write(JSON.stringify({ state: pool.provisioningState }));
`;

let sim: TestArmSimulator;
beforeAll(async () => {
  sim = await startTestArmSimulator();
});
afterAll(async () => {
  await sim.stop();
});

it('serves a client process that trusts its CA through NODE_EXTRA_CA_CERTS', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: resolve(__dirname, '..'),
    env: { PATH: process.env['PATH'] ?? '', ...sim.env, ARM_ENDPOINT: sim.url, SUB: TEST_SUBSCRIPTION, RG: TEST_RESOURCE_GROUP, CLUSTER: TEST_CLUSTER },
    timeout: 60_000,
  });
  expect(JSON.parse(stdout)).toEqual({ state: 'Succeeded' });
  expect(sim.requests.count('POST', '/oauth2/v2.0/token')).toBe(1);
}, 90_000);
