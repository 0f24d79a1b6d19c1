import type { Condition, Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import type { Node, NodeRequest, NodeRequestCondition } from '@kaito-ts/karpenter';
import { makeNode, makeNodeRequest } from '@kaito-ts/karpenter/testing';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { makeContainerStatus, makePod } from '../../testing/index.js';
import { inferenceReady, inferenceStatus, resourceReady, rolloutInProgress, type ConditionVerdict, type ObservedInference } from './conditions.js';

const SKU = 'Standard_NC6s_v3';
const T0 = new Date('2025-01-01T00:00:00Z');
const T1 = new Date('2025-01-01T00:05:00Z');

const c = (type: string, status: NodeRequestCondition['status'], reason = type, message = ''): NodeRequestCondition => ({ type, status, reason, message, lastTransitionTime: T0.toISOString() });
const READY = [c('Launched', 'True'), c('Registered', 'True'), c('Initialized', 'True'), c('Ready', 'True')];

/** A request that became node `node-<n>`, Ready. */
const readyRequest = (n: number, extra: Partial<NodeRequest['metadata']> = {}): NodeRequest =>
  makeNodeRequest('nodeclaim', { metadata: { name: `ws-${n}`, ...extra }, instanceType: SKU, status: { conditions: READY, nodeName: `node-${n}`, providerID: `fake:///node-${n}` } });
const failedRequest = (n: number, reason: string, message: string, status: NodeRequestCondition['status'] = 'False'): NodeRequest =>
  makeNodeRequest('nodeclaim', { metadata: { name: `ws-${n}` }, instanceType: SKU, status: { conditions: [c('Launched', status, reason, message)] } });
const node = (n: number, o: Parameters<typeof makeNode>[0] = {}): Node => makeNode({ metadata: { name: `node-${n}` }, instanceType: SKU, ...o });
const crashLooping = (name = 'workspace-phi-3-0'): V1Pod =>
  makePod({ name, ready: true, containers: [makeContainerStatus({ ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } })] });

function observed(overrides: Partial<ObservedInference> = {}): ObservedInference {
  return { workspace: makeInferenceWorkspace(), targetNodeCount: 1, requests: [readyRequest(1)], nodes: [node(1)], pods: [makePod()], now: T0, ...overrides };
}

describe('resourceReady', () => {
  it('is True with the ready nodes when every planned node is ready', () => {
    expect(resourceReady(observed({ targetNodeCount: 2, requests: [readyRequest(2), readyRequest(1)], nodes: [node(1), node(2)] }))).toEqual({
      status: 'True',
      reason: 'NodesReady',
      message: '2/2 nodes ready',
      workerNodes: ['node-1', 'node-2'],
    });
  });

  it.each<[string, Partial<ObservedInference>, string]>([
    ['no node request exists yet', { requests: [], nodes: [] }, 'NodesPending'],
    ['fewer requests than planned nodes', { targetNodeCount: 2 }, 'NodesPending'],
    ['the quota is exceeded', { requests: [failedRequest(1, 'QuotaExceeded', '0 of 24 cores free')], nodes: [] }, 'QuotaExceeded'],
    ['the region is out of stock', { requests: [failedRequest(1, 'InsufficientCapacity', 'no capacity')], nodes: [] }, 'InsufficientCapacity'],
    ['a launch is in progress', { requests: [failedRequest(1, 'Launching', '', 'Unknown')], nodes: [] }, 'NodeNotLaunched'],
    ['the node has not registered', { nodes: [] }, 'NodeNotRegistered'],
    ['the node is NotReady', { nodes: [node(1, { ready: 'False' })] }, 'NodeNotInitialized'],
    ['the node is another instance type than the Workspace asks for', { nodes: [node(1, { instanceType: 'Standard_NC24ads_A100_v4' })] }, 'NodeNotInitialized'],
    ['the node has no GPU allocatable', { nodes: [node(1, { allocatable: { cpu: '8' } })] }, 'GpuNotReady'],
    ['the only ready request is being deleted', { requests: [readyRequest(1, { deletionTimestamp: T0.toISOString() })] }, 'NodesPending'],
  ])('is False when %s', (_name, overrides, reason) => {
    const verdict = resourceReady(observed(overrides));
    expect(verdict.status).toBe('False');
    expect(verdict.reason).toBe(reason);
  });

  it('reports a capacity failure before a launch in progress, with the provider’s message', () => {
    const verdict = resourceReady(observed({ targetNodeCount: 3, requests: [readyRequest(1), failedRequest(2, 'Launching', '', 'Unknown'), failedRequest(3, 'QuotaExceeded', '0 of 24 cores free')] }));
    expect(verdict).toMatchObject({ status: 'False', reason: 'QuotaExceeded', workerNodes: ['node-1'] });
    expect(verdict.message).toMatch(/^1\/3 nodes ready; .*0 of 24 cores free/);
  });

  it('finds a request’s node by providerID when nodeName is not set yet', () => {
    const request = makeNodeRequest('nodeclaim', { metadata: { name: 'ws-1' }, instanceType: SKU, status: { conditions: READY, providerID: 'fake:///node-1' } });
    expect(resourceReady(observed({ requests: [request] }))).toMatchObject({ status: 'True', workerNodes: ['node-1'] });
  });
});

describe('inferenceReady', () => {
  const nodesReady: ConditionVerdict = { status: 'True', reason: 'NodesReady', message: '1/1 nodes ready' };
  const nodesMissing: ConditionVerdict = { status: 'False', reason: 'QuotaExceeded', message: '0/1 nodes ready; quota' };

  it('is True when the planned number of pods is Ready on ready nodes', () => {
    expect(inferenceReady({ targetNodeCount: 1, pods: [makePod()] }, nodesReady)).toEqual({ status: 'True', reason: 'InferenceReady', message: '1/1 inference pods ready' });
  });

  it.each<[string, number, V1Pod[], ConditionVerdict, string]>([
    ['a pod crash-loops while still marked Ready', 1, [crashLooping()], nodesReady, 'ContainerCrashLoopBackOff'],
    ['one of two pods crash-loops while the other serves', 2, [makePod(), crashLooping('workspace-phi-3-1')], nodesReady, 'ContainerCrashLoopBackOff'],
    ['the nodes are not ready, though a pod is', 1, [makePod()], nodesMissing, 'InferencePending'],
    ['a pod was OOMKilled, even while nodes are missing', 1, [makePod({ ready: false, containers: [makeContainerStatus({ ready: false, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } })] })], nodesMissing, 'ContainerOOMKilled'],
    ['the pod is still loading the model', 1, [makePod({ ready: false })], nodesReady, 'InferencePending'],
    ['one of two planned pods exists', 2, [makePod()], nodesReady, 'InferencePending'],
    ['no pod exists', 1, [], nodesReady, 'InferencePending'],
  ])('is False when %s', (_name, targetNodeCount, pods, resource, reason) => {
    expect(inferenceReady({ targetNodeCount, pods }, resource)).toMatchObject({ status: 'False', reason });
  });
});

const byType = (conditions: readonly Condition[] | undefined) => Object.fromEntries((conditions ?? []).map((x) => [x.type, x]));

describe('inferenceStatus', () => {
  it('reports a served Workspace as Ready, with its nodes, target and generation', () => {
    const status = inferenceStatus(observed({ workspace: makeInferenceWorkspace({ metadata: { generation: 4 } }) }));
    expect(status).toMatchObject({ state: 'Ready', workerNodes: ['node-1'], targetNodeCount: 1 });
    const conditions = byType(status.conditions);
    for (const type of ['ResourceReady', 'InferenceReady', 'WorkspaceReady']) {
      expect(conditions[type]).toMatchObject({ status: 'True', observedGeneration: 4, lastTransitionTime: T0.toISOString() });
    }
  });

  it('names the first failing condition in WorkspaceReady', () => {
    const status = inferenceStatus(observed({ requests: [failedRequest(1, 'QuotaExceeded', '0 of 24 cores free')], nodes: [], pods: [] }));
    expect(byType(status.conditions)['WorkspaceReady']).toMatchObject({ status: 'False', reason: 'WorkspaceNotReady' });
    expect(byType(status.conditions)['WorkspaceReady']?.message).toMatch(/^QuotaExceeded: .*0 of 24 cores free/);
  });

  it.each<[string, string | undefined, boolean, string]>([
    ['a new Workspace', undefined, false, 'Pending'],
    ['a Pending Workspace', 'Pending', false, 'Pending'],
    ['a Workspace that was Ready', 'Ready', false, 'NotReady'],
    ['a NotReady Workspace', 'NotReady', false, 'NotReady'],
    ['a NotReady Workspace that recovers', 'NotReady', true, 'Ready'],
  ])('moves the state of %s to the right one', (_name, previous, ready, state) => {
    const workspace = makeInferenceWorkspace(previous !== undefined ? { status: { state: previous } } : {});
    expect(inferenceStatus(observed({ workspace, ...(ready ? {} : { pods: [crashLooping()] }) })).state).toBe(state);
  });

  it('keeps lastTransitionTime and the array itself when nothing changed', () => {
    const first = inferenceStatus(observed());
    const workspace: Workspace = { ...makeInferenceWorkspace(), status: first };
    const second = inferenceStatus(observed({ workspace, now: T1 }));
    expect(second.conditions).toBe(first.conditions);
    expect(second).toEqual(first);
  });

  it('moves lastTransitionTime only for the conditions that flip', () => {
    const first = inferenceStatus(observed());
    const workspace: Workspace = { ...makeInferenceWorkspace(), status: first };
    const second = byType(inferenceStatus(observed({ workspace, now: T1, pods: [crashLooping()] })).conditions);
    expect(second['ResourceReady']).toMatchObject({ status: 'True', lastTransitionTime: T0.toISOString() });
    expect(second['InferenceReady']).toMatchObject({ status: 'False', reason: 'ContainerCrashLoopBackOff', lastTransitionTime: T1.toISOString() });
    expect(second['WorkspaceReady']).toMatchObject({ status: 'False', lastTransitionTime: T1.toISOString() });
  });

  it('keeps conditions of other types', () => {
    const other: Condition = { type: 'Custom', status: 'True', reason: 'X', message: '', lastTransitionTime: T0.toISOString() };
    const workspace = makeInferenceWorkspace({ status: { conditions: [other] } });
    expect(inferenceStatus(observed({ workspace })).conditions).toContainEqual(other);
  });
});

describe('rolloutInProgress', () => {
  const sts = (status: Record<string, unknown> = {}, generation = 2) => ({ metadata: { name: 'w', generation }, spec: { replicas: 2, selector: {}, serviceName: 'w-headless', template: {} }, status: { replicas: 2, ...status } });
  it.each([
    ['no StatefulSet', undefined, undefined, undefined],
    ['a new StatefulSet', sts({ observedGeneration: 2, currentRevision: 'a', updateRevision: 'a', updatedReplicas: 0 }), undefined, undefined],
    ['one just updated by this pass', sts({ observedGeneration: 2 }), 'h2', 'StatefulSet w was updated to revision h2; its pods are being replaced'],
    ['an update its controller has not seen', sts({ observedGeneration: 1 }), undefined, 'StatefulSet w has not yet acted on its update (generation 2, observed 1)'],
    ['pods being replaced', sts({ observedGeneration: 2, currentRevision: 'a', updateRevision: 'b', updatedReplicas: 1 }), undefined, 'StatefulSet w is replacing its pods: 1/2 on the new revision'],
    ['a finished rollout', sts({ observedGeneration: 2, currentRevision: 'b', updateRevision: 'b', updatedReplicas: 2 }), undefined, undefined],
  ])('says %s is %s', (_name, s, rolledTo, want) => {
    expect(rolloutInProgress(s as V1StatefulSet | undefined, rolledTo)).toBe(want);
  });
});
