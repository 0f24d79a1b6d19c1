/// <reference types="jest" />
/**
 * The provisioner conformance suite: what any provisioner must do with Machine/NodeClaim requests
 * (docs/provisioners.md), checked through the API of a real cluster. A provisioner runs it from one
 * of its integration tests, saying how to start itself:
 *
 *     describeProvisionerConformance({
 *       name: 'kwok', api: 'nodeclaim', instanceType: 'Standard_NC24ads_A100_v4',
 *       start: async () => { const p = await startMine(); return { stop: (how) => p.stop(how) }; },
 *       listInstances: () => myProvider.list(),
 *     });
 *
 * Tests run in order and share one provisioner (the restart test replaces it). Everything they
 * create carries a per-run label and is deleted in afterAll.
 */
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, Resources, RestClient } from '@kaito-ts/controller-runtime';
import { eventually } from '@kaito-ts/core/testing';
import { NodeResource, nodeRequestClient, nodeRequestResource, type NodeRequestClient } from '../client.js';
import type { Instance } from '../cloudprovider/types.js';
import type { Node } from '../codecs/node.js';
import type { NodeClassReference } from '../codecs/nodeclaim.js';
import { findCondition } from '../conditions.js';
import { KarpenterLabels, KarpenterTaints, type NodeRequestApi, ResourceNames, WellKnownLabels } from '../constants.js';
import { apiConditionType, type NodeRequest } from '../node-request.js';
import { gpuAllocatable, hasTaint, isNodeReady, sameTaint } from '../predicates.js';
import { gpuNodeRequest } from './factories.js';

export interface StartedProvisioner {
  /** `crash`: stop at once, abandoning in-flight work (as SIGKILL would); `graceful`: drain and stop. */
  stop(how: 'crash' | 'graceful'): Promise<void>;
}

export interface ConformanceTarget {
  /** Shown in test names, e.g. `kwok`. */
  readonly name: string;
  readonly api: NodeRequestApi;
  /** Start the provisioner (a process, or in-process); resolve once it is running. */
  start(): Promise<StartedProvisioner>;
  /** The provider's own view of its instances (its `CloudProvider.list`), for leak checks. */
  listInstances(): Promise<readonly Instance[]>;
  /** An instance type the provisioner launches. */
  readonly instanceType: string;
  /** An instance type whose create fails with QuotaExceeded, if the target can arrange one. */
  readonly quotaExceededInstanceType?: string;
  /** An instance type whose create fails with InsufficientCapacity, if the target can arrange one. */
  readonly insufficientCapacityInstanceType?: string;
  /** Put on every request the suite creates (e.g. the label a selector-scoped provisioner manages). */
  readonly requestLabels?: Readonly<Record<string, string>>;
  readonly nodeClassRef?: NodeClassReference;
  /**
   * True when launching takes long enough (a launch delay) for the restart test to kill the
   * provisioner while a create is in flight; the test then insists it did.
   */
  readonly interruptibleLaunch?: boolean;
  readonly timeouts?: { readonly readyMs?: number; readonly deleteMs?: number; readonly failureMs?: number };
  /** Default: `$KUBECONFIG` (set by the integration global setup). */
  readonly kubeconfig?: string;
}

const RUN_LABEL = 'conformance.kaito-ts.dev/run';

function fail(message: string): never {
  throw new Error(message);
}

export function describeProvisionerConformance(target: ConformanceTarget): void {
  const readyMs = target.timeouts?.readyMs ?? 120_000;
  const deleteMs = target.timeouts?.deleteMs ?? 60_000;
  const failureMs = target.timeouts?.failureMs ?? 60_000;
  const run = randomUUID().slice(0, 8);
  let seq = 0;

  describe(`provisioner conformance: ${target.name} (${target.api})`, () => {
    let kube: KubeClient;
    let transport: RestClient;
    let requests: NodeRequestClient;
    let provisioner: StartedProvisioner | undefined;
    let ready: NodeRequest | undefined;

    const newRequest = (instanceType: string): NodeRequest =>
      gpuNodeRequest({
        api: target.api,
        name: `conf-${target.api.slice(0, 2)}-${run}-${++seq}`,
        instanceType,
        storage: '128Gi',
        gpuCount: 1,
        labels: { ...target.requestLabels, [RUN_LABEL]: run },
        ...(target.nodeClassRef !== undefined ? { nodeClassRef: target.nodeClassRef } : {}),
      });

    const get = async (name: string): Promise<NodeRequest> => (await requests.get(name)) ?? fail(`${target.api} ${name} does not exist`);
    const nodesOf = async (providerID: string): Promise<Node[]> => (await kube.list(NodeResource)).filter((n) => n.spec?.providerID === providerID);
    const instancesOf = async (r: NodeRequest): Promise<Instance[]> =>
      (await target.listInstances()).filter((i) => (i.requestUID !== undefined && i.requestUID === r.metadata.uid) || (i.requestUID === undefined && i.requestName === r.metadata.name));
    const condition = (r: NodeRequest, type: string) => findCondition(r.status.conditions, type);

    const waitReady = (name: string): Promise<NodeRequest> =>
      eventually(
        async () => {
          const r = await get(name);
          if (condition(r, 'Ready')?.status !== 'True') {
            fail(`Ready is ${condition(r, 'Ready')?.status ?? 'absent'} (${condition(r, 'Ready')?.reason ?? ''}: ${condition(r, 'Ready')?.message ?? ''})`);
          }
          return r;
        },
        { timeoutMs: readyMs, description: `${target.api} ${name} Ready` },
      );

    const waitGone = async (r: NodeRequest): Promise<void> => {
      await eventually(
        async () => {
          if ((await requests.get(r.metadata.name)) !== undefined) fail(`${r.metadata.name} still exists`);
          if (r.status.providerID !== undefined && (await nodesOf(r.status.providerID)).length > 0) fail(`its node still exists`);
          const left = await instancesOf(r);
          if (left.length > 0) fail(`instances remain: ${left.map((i) => `${i.name} (${i.state})`).join(', ')}`);
        },
        { timeoutMs: deleteMs, description: `${target.api} ${r.metadata.name}, its node and its instance gone` },
      );
    };

    /** The request launched by the first test, Ready (the next tests inspect it). */
    const readyRequest = (): NodeRequest => ready ?? fail('the launch test did not produce a Ready request');

    beforeAll(async () => {
      const kc = new KubeConfig();
      const path = target.kubeconfig ?? process.env['KUBECONFIG'];
      if (path === undefined || path === '') throw new Error('KUBECONFIG is not set: run the conformance suite with jest -c jest.integration.config.cjs');
      kc.loadFromFile(path);
      transport = new RestClient(kc, { qps: 50, burst: 100, userAgent: 'provisioner-conformance' });
      kube = new KubeClient(transport, { fieldManager: 'provisioner-conformance' });
      requests = nodeRequestClient(kube, target.api);
      provisioner = await target.start();
    }, 60_000);

    afterAll(async () => {
      try {
        const mine = await requests.list({ labelSelector: `${RUN_LABEL}=${run}` });
        for (const r of mine) await requests.delete(r.metadata.name);
        await Promise.all(mine.map((r) => waitGone(r).catch(() => undefined)));
      } finally {
        await provisioner?.stop('graceful');
        await transport?.close();
      }
    }, deleteMs + 60_000);

    it(
      'launches a request to Ready within the timeout, with providerID, node name and capacity in status',
      async () => {
        const created = await requests.create(newRequest(target.instanceType));
        const r = await waitReady(created.metadata.name);
        for (const type of ['Launched', 'Registered', 'Initialized']) expect(condition(r, type)).toMatchObject({ status: 'True' });
        expect(r.status.providerID).toEqual(expect.any(String));
        expect(r.status.nodeName).toEqual(expect.any(String));
        expect(Number(r.status.capacity[ResourceNames.gpu] ?? 0)).toBeGreaterThan(0);
        expect(r.metadata.finalizers).toContain('karpenter.sh/termination');
        // Written in the API's own condition names (MachineLaunched for Machine).
        const raw = await kube.get(nodeRequestResource(target.api), r.metadata.name);
        expect(raw.status?.conditions?.map((c) => c.type)).toEqual(expect.arrayContaining([apiConditionType(target.api, 'Launched'), 'Ready']));
        ready = r;
      },
      readyMs + 10_000,
    );

    it('lands the request’s labels and taints on its node and removes karpenter.sh/unregistered', async () => {
      const r = readyRequest();
      const [node, ...others] = await nodesOf(r.status.providerID ?? '');
      expect(others).toHaveLength(0);
      if (node === undefined) fail(`no node with providerID ${r.status.providerID ?? ''}`);
      expect(node.metadata.name).toBe(r.status.nodeName);
      for (const [k, v] of Object.entries(r.metadata.labels ?? {})) expect(node.metadata.labels?.[k]).toBe(v);
      expect(node.metadata.labels?.[KarpenterLabels.registered]).toBe('true');
      expect(node.metadata.labels?.[KarpenterLabels.initialized]).toBe('true');
      for (const taint of r.spec.taints) expect((node.spec?.taints ?? []).some((t) => sameTaint(t, taint))).toBe(true);
      expect(hasTaint(node, KarpenterTaints.unregistered)).toBe(false);
    });

    it('makes nvidia.com/gpu allocatable on a Ready node of the requested instance type', async () => {
      const r = readyRequest();
      const [node] = await nodesOf(r.status.providerID ?? '');
      if (node === undefined) fail('no node');
      expect(isNodeReady(node)).toBe(true);
      expect(gpuAllocatable(node)).toBeGreaterThan(0);
      expect(node.metadata.labels?.[WellKnownLabels.instanceType]).toBe(target.instanceType);
    });

    it('records Launched, Registered and Initialized events on the request', async () => {
      const r = readyRequest();
      await eventually(
        async () => {
          const events = (await kube.list(Resources.Event, { namespace: 'default', fieldSelector: `involvedObject.name=${r.metadata.name}` })) as unknown as {
            reason?: string;
          }[];
          const reasons = new Set(events.map((e) => e.reason));
          for (const reason of ['Launched', 'Registered', 'Initialized']) if (!reasons.has(reason)) fail(`no ${reason} event; saw ${[...reasons].join(', ')}`);
        },
        { timeoutMs: 15_000, description: 'lifecycle events' },
      );
    });

    it(
      'deletes the node and the instance when the request is deleted',
      async () => {
        const r = readyRequest();
        expect(await instancesOf(r)).toHaveLength(1);
        await requests.delete(r.metadata.name);
        await waitGone(r);
      },
      deleteMs + 10_000,
    );

    it(
      'leaks nothing and creates no second instance when restarted mid-launch',
      async () => {
        const created = await requests.create(newRequest(target.instanceType));
        // Kill the provisioner while the create is in flight: the instance exists, its status does not say so yet.
        const interrupted = await eventually(
          async () => {
            const r = await get(created.metadata.name);
            const instances = await instancesOf(r);
            if (r.status.providerID === undefined && instances.length > 0) return 'in flight';
            if (r.status.providerID !== undefined) return 'already launched';
            return fail('no instance yet');
          },
          { timeoutMs: readyMs, intervalMs: 50, description: 'a create in flight' },
        );
        await provisioner?.stop('crash');
        provisioner = undefined;
        if (target.interruptibleLaunch === true) expect(interrupted).toBe('in flight');
        provisioner = await target.start();

        const r = await waitReady(created.metadata.name);
        const instances = await instancesOf(r);
        expect(instances.map((i) => i.providerID)).toEqual([r.status.providerID]);
        expect(await nodesOf(r.status.providerID ?? '')).toHaveLength(1);

        await requests.delete(r.metadata.name);
        await waitGone(r);
      },
      2 * readyMs + deleteMs + 60_000,
    );

    const failures: [string, string | undefined][] = [
      ['QuotaExceeded', target.quotaExceededInstanceType],
      ['InsufficientCapacity', target.insufficientCapacityInstanceType],
    ];
    for (const [reason, instanceType] of failures) {
      if (instanceType === undefined) continue;
      it(
        `shows ${reason} on the Launched and Ready conditions, keeps the request, launches nothing, and cleans up on delete`,
        async () => {
          const created = await requests.create(newRequest(instanceType));
          const r = await eventually(
            async () => {
              const r = await get(created.metadata.name);
              const launched = condition(r, 'Launched');
              if (launched?.status !== 'False' || launched.reason !== reason) fail(`Launched is ${launched?.status ?? 'absent'}/${launched?.reason ?? ''}`);
              return r;
            },
            { timeoutMs: failureMs, description: `Launched=False/${reason}` },
          );
          expect(condition(r, 'Launched')?.message).not.toBe('');
          expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason });
          expect(r.status.providerID).toBeUndefined();
          expect(await instancesOf(r)).toEqual([]);
          const events = (await kube.list(Resources.Event, { namespace: 'default', fieldSelector: `involvedObject.name=${r.metadata.name}` })) as unknown as {
            reason?: string;
            message?: string;
          }[];
          expect(events.some((e) => e.reason === 'LaunchFailed' && (e.message ?? '').includes(reason))).toBe(true);

          await requests.delete(r.metadata.name);
          await waitGone(r);
        },
        failureMs + deleteMs + 10_000,
      );
    }
  });
}
