/**
 * Start a simulator for a test: a temporary state dir, a projected token file the simulator
 * trusts, and what a client needs to reach it (the env a workload-identity pod gets, and an https
 * Agent that trusts the simulator's CA, since NODE_EXTRA_CA_CERTS is read only at process start).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArmSimulatorOptions, type RunningArmSimulator, startArmSimulator } from '../server.js';

export const TEST_SUBSCRIPTION = '00000000-0000-0000-0000-0000000000aa';
export const TEST_TENANT = '00000000-0000-0000-0000-0000000000bb';
export const TEST_CLIENT_ID = '00000000-0000-0000-0000-0000000000cc';
export const TEST_RESOURCE_GROUP = 'rg-kaito';
export const TEST_CLUSTER = 'aks-kaito';
export const TEST_LOCATION = 'eastus';

export interface TestArmSimulator extends RunningArmSimulator {
  /** File holding the projected service-account token the simulator trusts. */
  readonly tokenFile: string;
  /** An https Agent trusting the simulator's CA (pass as the SDK clients' `agent`). */
  readonly agent: Agent;
  /** The env a workload-identity pod gets (AZURE_*) plus NODE_EXTRA_CA_CERTS, for a child process. */
  readonly env: Readonly<Record<string, string>>;
  /** Calls the admin API; resolves with the status and the parsed body. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Closes the server and removes the state dir. */
  stop(): Promise<void>;
}

export type TestSimulatorOverrides = Partial<Omit<ArmSimulatorOptions, 'stateDir' | 'entra'>> & { readonly entra?: Partial<ArmSimulatorOptions['entra']> };

export async function startTestArmSimulator(overrides: TestSimulatorOverrides = {}): Promise<TestArmSimulator> {
  const stateDir = await mkdtemp(join(tmpdir(), 'arm-simulator-'));
  const projected = `projected-sa-token-${Math.random().toString(36).slice(2)}`;
  const tokenFile = join(stateDir, 'azure-identity-token');
  await writeFile(tokenFile, projected);
  const { entra, ...rest } = overrides;
  const sim = await startArmSimulator({
    port: 0,
    cluster: { subscriptionId: TEST_SUBSCRIPTION, resourceGroup: TEST_RESOURCE_GROUP, name: TEST_CLUSTER, location: TEST_LOCATION },
    createDelayMs: 50,
    deleteDelayMs: 50,
    pageSize: 2,
    tickMs: 10,
    ...rest,
    stateDir,
    entra: { tenantId: TEST_TENANT, clientId: TEST_CLIENT_ID, federatedToken: projected, tokenLifetimeSeconds: 3600, ...entra },
  });
  const agent = new Agent({ ca: sim.certificates.caPem, keepAlive: false });
  return {
    ...sim,
    tokenFile,
    agent,
    env: {
      AZURE_AUTHORITY_HOST: `${sim.url}/`,
      AZURE_TENANT_ID: TEST_TENANT,
      AZURE_CLIENT_ID: TEST_CLIENT_ID,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      NODE_EXTRA_CA_CERTS: sim.certificates.caPath,
    },
    admin: (method, path, body) => adminCall(sim, agent, method, path, body),
    stop: async () => {
      await sim.close();
      agent.destroy();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

function adminCall(sim: RunningArmSimulator, agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { method, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
