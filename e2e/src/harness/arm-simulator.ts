/**
 * The ARM + Entra simulator as its own process (`tsx tools/arm-simulator/src/main.ts`): HTTPS on
 * a free port with a CA of its own, each agent pool it provisions becoming a kwok fake GPU node in
 * the local cluster. Its admin API injects faults (`POST /admin/faults`) and counts requests.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { ManagedProcess } from './process.js';
import { kubeconfigPath, logDir } from './repo.js';

/** What the simulator prints once it listens (and writes to <state-dir>/endpoint.json). */
export interface ArmEndpoint {
  readonly url: string;
  readonly caPath: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly clusterName: string;
  readonly location: string;
  readonly tenantId: string;
  readonly clientId: string;
}

/** A fault rule as docs/arm-simulator.md ("Fault injection") describes it. */
export interface ArmFault {
  readonly kind: string;
  readonly method?: 'PUT' | 'GET' | 'DELETE' | '*';
  readonly vmSize?: string;
  readonly times?: number;
  readonly retryAfterSeconds?: number;
}

export interface RunningArmSimulator {
  readonly process: ManagedProcess;
  readonly endpoint: ArmEndpoint;
  /** The projected service-account token its Entra endpoint trusts. */
  readonly tokenFile: string;
  /** The env a workload-identity pod gets, plus the CA to trust. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** Adds a fault rule; resolves with its id. */
  addFault(fault: ArmFault): Promise<string>;
  /** Removes every fault rule. */
  clearFaults(): Promise<void>;
  /** The simulated AKS cluster's agent pools (its admin state, not an ARM call). */
  agentPools(): Promise<Array<{ name: string; state: string }>>;
  /** ARM requests seen (admin calls excluded) whose path starts with `/subscriptions/`. */
  armRequests(): Promise<Array<{ method: string; path: string; status: number; time: string }>>;
  stop(): Promise<void>;
}

export interface ArmSimulatorProcessOptions {
  readonly logName: string;
  /** Default 1s. */
  readonly createDelay?: string;
  /** Default 500ms. */
  readonly deleteDelay?: string;
}

export async function startArmSimulatorProcess(o: ArmSimulatorProcessOptions): Promise<RunningArmSimulator> {
  const stateDir = join(logDir(), `${o.logName}-state`);
  mkdirSync(stateDir, { recursive: true });
  const tokenFile = join(stateDir, 'azure-identity-token');
  writeFileSync(tokenFile, `projected-sa-token-${Math.random().toString(36).slice(2)}`);
  const proc = await ManagedProcess.start({
    name: 'arm-simulator',
    script: 'tools/arm-simulator/src/main.ts',
    args: [
      `--federated-token-file=${tokenFile}`,
      '--port=0',
      `--state-dir=${stateDir}`,
      `--create-delay=${o.createDelay ?? '1s'}`,
      `--delete-delay=${o.deleteDelay ?? '500ms'}`,
      '--nodes=kube',
      `--kubeconfig=${kubeconfigPath()}`,
      '--log-level=warn',
    ],
    readyWhen: /^\{"url":.*\}$/m,
    logFile: join(logDir(), `${o.logName}.log`),
  });
  const endpoint = JSON.parse(proc.readyMatch?.[0] ?? '') as ArmEndpoint;
  const agent = new Agent({ ca: readFileSync(endpoint.caPath), keepAlive: false });
  const admin = (method: string, path: string, body?: unknown) => adminCall(endpoint.url, agent, method, path, body);
  return {
    process: proc,
    endpoint,
    tokenFile,
    clientEnv: {
      AZURE_AUTHORITY_HOST: `${endpoint.url}/`,
      AZURE_TENANT_ID: endpoint.tenantId,
      AZURE_CLIENT_ID: endpoint.clientId,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      NODE_EXTRA_CA_CERTS: endpoint.caPath,
    },
    async addFault(fault) {
      const res = await admin('POST', '/admin/faults', fault);
      if (res.status !== 201) throw new Error(`arm-simulator refused fault ${JSON.stringify(fault)}: ${res.status} ${JSON.stringify(res.body)}`);
      return String((res.body as { id?: unknown } | undefined)?.id ?? '');
    },
    async clearFaults() {
      const res = await admin('DELETE', '/admin/faults');
      if (res.status >= 300) throw new Error(`arm-simulator: DELETE /admin/faults answered ${res.status}`);
    },
    async agentPools() {
      const res = await admin('GET', '/admin/state');
      const body = res.body as { pools?: Array<{ name: string; state: string }> } | undefined;
      return (body?.pools ?? []).map((p) => ({ name: p.name, state: p.state }));
    },
    async armRequests() {
      const res = await admin('GET', '/admin/requests?since=0');
      const body = res.body as { requests?: Array<{ method: string; path: string; status: number; time: string }> } | undefined;
      return (body?.requests ?? []).filter((r) => r.path.startsWith('/subscriptions/'));
    },
    async stop() {
      await proc.stop();
      agent.destroy();
    },
  };
}

function adminCall(url: string, agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
        } catch (err) {
          reject(new Error(`arm-simulator ${method} ${path}: not JSON: ${text.slice(0, 200)}`, { cause: err }));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
