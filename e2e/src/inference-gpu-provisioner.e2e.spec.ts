/**
 * The inference path end to end with gpu-provisioner in place of the kwok provisioner: three
 * processes — the ARM + Entra simulator, gpu-provisioner (its real Azure SDK code paths, only
 * the endpoint, authority host and CA differ) and the workspace controller — against the local
 * control plane, once per node API (Machine, the seed's, and NodeClaim). Cloud faults injected
 * into the simulator must reach the Workspace's status with the right reason and message.
 */
import { ConditionType, Reason } from '@kaito-ts/api';
import { type KubeClient, type KubeObject, Resources } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import type { NodeRequestApi } from '@kaito-ts/karpenter';
import type { V1Service } from '@kubernetes/client-node';
import { type RunningArmSimulator, startArmSimulatorProcess } from './harness/arm-simulator.js';
import { startGpuProvisionerProcess } from './harness/gpu-provisioner.js';
import { conditionOf, createNamespace, deleteNamespace, nodeRequestsOf, testKube, type TestKube } from './harness/kube.js';
import { workspaceTable } from './harness/kubectl.js';
import type { ManagedProcess } from './harness/process.js';
import { runId } from './harness/repo.js';
import { startWorkspaceControllerProcess } from './harness/workspace-controller.js';
import { applyInferenceWorkspace, deleteAndExpectNothingLeft, removeAllWorkspaces, waitForReady, waitForReason } from './harness/workspace.js';

const SEED_SKU = 'Standard_NC6s_v3';
const APIS: readonly NodeRequestApi[] = ['machine', 'nodeclaim'];

describe.each(APIS)('inference with gpu-provisioner on the ARM simulator (%s)', (api) => {
  const run = runId();
  let k: TestKube;
  let kube: KubeClient;
  let ns: string;
  let sim: RunningArmSimulator | undefined;
  let provisioner: ManagedProcess | undefined;
  let controller: ManagedProcess | undefined;

  beforeAll(async () => {
    k = testKube(`e2e-gpu-${api}`);
    kube = k.kube;
    ns = await createNamespace(kube, `e2e-gpu-${api}`);
    const simulator = await startArmSimulatorProcess({ logName: `gpu-${api}-${run}-arm-simulator` });
    sim = simulator;
    [provisioner, controller] = await Promise.all([
      startGpuProvisionerProcess({ api, simulator, workspaceNamespace: ns, logName: `gpu-${api}-${run}-gpu-provisioner` }),
      startWorkspaceControllerProcess({ nodeApi: api, namespaces: [ns], logName: `gpu-${api}-${run}-workspace-controller` }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await removeAllWorkspaces(kube, ns);
    await controller?.stop();
    await provisioner?.stop();
    await sim?.stop();
    await deleteNamespace(kube, ns);
    await k.close();
  });

  /** The simulated AKS cluster's agent pools, by name. */
  async function agentPools(): Promise<string[]> {
    if (sim === undefined) throw new Error('the simulator did not start');
    return (await sim.agentPools()).map((p) => p.name);
  }

  it(`serves phi-3-mini-4k-instruct on ${SEED_SKU} through an AKS agent pool, then deletes it leaving no pool, node request, Node, pod or Service`, async () => {
    await applyInferenceWorkspace({ name: 'workspace-phi-3', namespace: ns });
    const ws = await waitForReady(kube, 'workspace-phi-3', ns);
    expect(ws.status).toMatchObject({ state: 'Ready', targetNodeCount: 1 });
    const [request, ...more] = await nodeRequestsOf(kube, api, ns);
    expect(more).toEqual([]);
    const providerID = (request as KubeObject & { status?: { providerID?: string } }).status?.providerID ?? '';
    expect(providerID).toMatch(/^azure:\/\/\/subscriptions\/.*\/virtualMachineScaleSets\/aks-[a-z0-9]+-\d{8}-vmss\/virtualMachines\/0$/);
    expect(await agentPools()).toHaveLength(1);

    const table = await workspaceTable('workspace-phi-3', ns);
    expect(table.cells.slice(0, 5)).toEqual(['workspace-phi-3', SEED_SKU, 'True', 'True', 'True']);
    const svc = (await kube.get(Resources.Service, 'workspace-phi-3', ns)) as KubeObject & V1Service;
    expect(svc.spec?.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 5000 })]);

    await deleteAndExpectNothingLeft(kube, 'workspace-phi-3', ns);
    await eventually(async () => (await agentPools()).length === 0, { timeoutMs: 30_000, description: 'no agent pool left in the simulated cluster' });
  }, 180_000);

  it('shows an ARM QuotaExceeded as ResourceReady=False QuotaExceeded with the quota and region, and becomes Ready once the quota is raised', async () => {
    await sim?.addFault({ kind: 'QuotaExceeded', vmSize: SEED_SKU });
    await applyInferenceWorkspace({ name: 'phi-3-quota', namespace: ns });
    const ws = await waitForReason(kube, 'phi-3-quota', ns, ConditionType.ResourceReady, Reason.QuotaExceeded, { status: 'False' });
    const message = conditionOf(ws, ConditionType.ResourceReady)?.message ?? '';
    expect(message).toMatch(/quota/i);
    expect(message).toContain('eastus');
    expect(message).toMatch(/request a quota increase/);
    expect(conditionOf(ws, ConditionType.WorkspaceReady)?.message).toMatch(new RegExp(`^${Reason.QuotaExceeded}: `));

    await sim?.clearFaults();
    await waitForReady(kube, 'phi-3-quota', ns);
    await deleteAndExpectNothingLeft(kube, 'phi-3-quota', ns);
  }, 180_000);

  it('shows an ARM SkuNotAvailable as ResourceReady=False SkuUnavailable naming the VM size', async () => {
    await sim?.addFault({ kind: 'SkuNotAvailable', vmSize: SEED_SKU });
    await applyInferenceWorkspace({ name: 'phi-3-sku', namespace: ns });
    const ws = await waitForReason(kube, 'phi-3-sku', ns, ConditionType.ResourceReady, Reason.SkuUnavailable, { status: 'False' });
    expect(conditionOf(ws, ConditionType.ResourceReady)?.message).toContain(SEED_SKU);
    expect(conditionOf(ws, ConditionType.InferenceReady)?.status).toBe('False');
    expect(conditionOf(ws, ConditionType.WorkspaceReady)?.message).toMatch(new RegExp(`^${Reason.SkuUnavailable}: `));

    await sim?.clearFaults();
    await deleteAndExpectNothingLeft(kube, 'phi-3-sku', ns);
  }, 180_000);

  it('shows ARM throttling (429 with Retry-After) on ResourceReady while it lasts, and becomes Ready after it', async () => {
    await sim?.addFault({ kind: 'TooManyRequests', method: 'PUT', retryAfterSeconds: 2 });
    await applyInferenceWorkspace({ name: 'phi-3-throttled', namespace: ns });
    const ws = await waitForReason(kube, 'phi-3-throttled', ns, ConditionType.ResourceReady, Reason.NodeNotLaunched, { status: 'False', message: /throttl/i });
    expect(conditionOf(ws, ConditionType.ResourceReady)?.message).toMatch(/HTTP 429 TooManyRequests.*Retry-After/);
    expect(conditionOf(ws, ConditionType.WorkspaceReady)?.message).toMatch(new RegExp(`^${Reason.NodeNotLaunched}: `));

    await sim?.clearFaults();
    await waitForReady(kube, 'phi-3-throttled', ns);
    await deleteAndExpectNothingLeft(kube, 'phi-3-throttled', ns);
    await eventually(async () => (await agentPools()).length === 0, { timeoutMs: 30_000, description: 'no agent pool left in the simulated cluster' });
  }, 180_000);
});
