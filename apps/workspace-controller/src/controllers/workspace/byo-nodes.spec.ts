import { Reason, type LabelSelector } from '@kaito-ts/api';
import type { Node } from '@kaito-ts/karpenter';
import { makeNode } from '@kaito-ts/karpenter/testing';
import { byoResourceReady, matchesSelector, nodeGpus, selectByoNodes, selectorText } from './byo-nodes.js';

const SEL: LabelSelector = { matchLabels: { app: 'llm' } };
const V100 = { 'nvidia.com/gpu.product': 'Tesla-V100-PCIE-16GB', 'nvidia.com/gpu.count': '1', 'nvidia.com/gpu.memory': '16384' };

/** A Ready node labelled app=llm with one GPU allocatable; the catalog's Standard_NC6s_v3 unless overridden. */
function node(name: string, o: { labels?: Record<string, string>; instanceType?: string | null; gpus?: string; ready?: 'True' | 'False'; cordoned?: boolean } = {}): Node {
  const n = makeNode({
    metadata: { name, labels: { app: 'llm', ...(o.instanceType === null ? {} : { 'node.kubernetes.io/instance-type': o.instanceType ?? 'Standard_NC6s_v3' }), ...o.labels } },
    ready: o.ready ?? 'True',
    allocatable: { cpu: '6', 'nvidia.com/gpu': o.gpus ?? '1' },
  });
  if (o.instanceType === null) delete n.metadata.labels?.['node.kubernetes.io/instance-type'];
  return o.cordoned === true ? { ...n, spec: { ...n.spec, unschedulable: true } } : n;
}

describe('matchesSelector', () => {
  const labels = { app: 'llm', pool: 'a' };
  it.each<[LabelSelector, boolean]>([
    [{ matchLabels: { app: 'llm' } }, true],
    [{ matchLabels: { app: 'web' } }, false],
    [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['a', 'b'] }] }, true],
    [{ matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['a'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'pool', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }] }, true],
    [{ matchLabels: { app: 'llm' }, matchExpressions: [{ key: 'spot', operator: 'Exists' }] }, false],
  ])('%j on app=llm,pool=a is %s', (selector, want) => {
    expect(matchesSelector(labels, selector)).toBe(want);
  });
  it('prints like kubectl', () => {
    expect(selectorText({ matchLabels: { app: 'llm' }, matchExpressions: [{ key: 'pool', operator: 'In', values: ['a', 'b'] }, { key: 'spot', operator: 'DoesNotExist' }] })).toBe('app=llm,pool in (a,b),!spot');
  });
});

describe('nodeGpus', () => {
  it('reads a catalog instance type from the catalog and pins to it', () => {
    expect(nodeGpus(node('a'))).toMatchObject({ ok: true, sku: { name: 'Standard_NC6s_v3', gpuCount: 1 }, hardwareLabel: { key: 'node.kubernetes.io/instance-type', value: 'Standard_NC6s_v3' } });
  });
  it('reads GPU Feature Discovery labels when the instance type is not in the catalog', () => {
    const r = nodeGpus(node('a', { instanceType: 'on-prem-box', labels: { ...V100, 'nvidia.com/gpu.count': '2' } }));
    expect(r).toMatchObject({ ok: true, sku: { name: 'on-prem-box', gpuCount: 2, gpuMemoryGiB: 16, gpuProduct: 'Tesla-V100-PCIE-16GB', computeCapability: '7.0' }, hardwareLabel: { key: 'nvidia.com/gpu.product', value: 'Tesla-V100-PCIE-16GB' } });
  });
  it('names the labels it lacks otherwise', () => {
    const r = nodeGpus(node('a', { instanceType: null, labels: { 'nvidia.com/gpu.product': 'X' } }));
    expect(r).toEqual({ ok: false, why: 'it has no node.kubernetes.io/instance-type label and it lacks the GPU Feature Discovery label(s) nvidia.com/gpu.memory' });
  });
});

describe('selectByoNodes and byoResourceReady', () => {
  it('chooses the first ready GPU nodes by name and says which', () => {
    const selection = selectByoNodes(SEL, [node('b'), node('a'), node('c', { labels: { app: 'web' } })]);
    expect(selection.eligible.map((n) => n.metadata.name)).toEqual(['a', 'b']);
    expect(byoResourceReady(selection, 2)).toEqual({ status: 'True', reason: Reason.NodesReady, message: '2/2 nodes ready, matching app=llm: a, b', workerNodes: ['a', 'b'] });
    expect(byoResourceReady(selection, 1).workerNodes).toEqual(['a']);
  });

  it.each<[string, Node, string]>([
    ['no GPU allocatable', node('node-b', { gpus: '0' }), 'node-b has no nvidia.com/gpu allocatable'],
    ['not Ready', node('node-b', { ready: 'False' }), 'node-b is not Ready'],
    ['cordoned', node('node-b', { cordoned: true }), 'node-b is cordoned (spec.unschedulable)'],
    ['other GPUs', node('node-b', { instanceType: 'Standard_NC24ads_A100_v4' }), 'node-b has 1x NVIDIA-A100-80GB-PCIe (80 GiB each), not 1x Tesla-V100-PCIE-16GB (16 GiB each) like node-a'],
    ['GPUs of unknown kind', node('node-b', { instanceType: null }), 'node-b has GPUs of unknown kind: it has no node.kubernetes.io/instance-type label and it lacks the GPU Feature Discovery label(s) nvidia.com/gpu.product, nvidia.com/gpu.memory'],
  ])('says why a node with %s is not chosen', (_name, other, why) => {
    const verdict = byoResourceReady(selectByoNodes(SEL, [node('node-a'), other]), 2);
    expect(verdict).toEqual({ status: 'False', reason: Reason.NodesNotFound, message: `1 of 2 nodes matching app=llm: ${why}`, workerNodes: ['node-a'] });
  });

  it('names the matching nodes not chosen even when enough are ready', () => {
    expect(byoResourceReady(selectByoNodes(SEL, [node('a'), node('b', { ready: 'False' })]), 1).message).toBe('1/1 nodes ready, matching app=llm: a; not chosen: b is not Ready');
  });

  it('says when no node matches at all', () => {
    expect(byoResourceReady(selectByoNodes(SEL, [node('a', { labels: { app: 'web' } })]), 1).message).toBe(
      '0 of 1 nodes matching app=llm: no node has these labels; label GPU nodes with them, or change resource.labelSelector',
    );
  });

  it('says when too few nodes match, none of them faulty', () => {
    expect(byoResourceReady(selectByoNodes(SEL, [node('a')]), 3).message).toBe('1 of 3 nodes matching app=llm: only 1 node(s) match; add nodes or lower resource.count');
  });

  it('requires the instance type when one is given (provisioning mode byo)', () => {
    const selection = selectByoNodes(SEL, [node('a', { instanceType: 'Standard_NC12s_v3' }), node('b')], 'Standard_NC6s_v3');
    expect(selection.eligible.map((n) => n.metadata.name)).toEqual(['b']);
    expect(selection.skipped).toEqual([{ node: 'a', why: 'is instance type Standard_NC12s_v3, not Standard_NC6s_v3' }]);
  });

  it('leaves out the nodes another Workspace’s node requests brought, and ignores reserved selector keys', () => {
    const selection = selectByoNodes({ matchLabels: { app: 'llm', 'kaito.sh/workspace': 'me' } }, [node('a', { labels: { 'kaito.sh/workspace': 'other' } }), node('b')]);
    expect(selection.matching).toBe(1);
    expect(selection.eligible.map((n) => n.metadata.name)).toEqual(['b']);
  });

  it('names five skipped nodes and counts the rest', () => {
    const nodes = Array.from({ length: 7 }, (_, i) => node(`n${i}`, { gpus: '0' }));
    expect(byoResourceReady(selectByoNodes(SEL, nodes), 1).message).toMatch(/n4 has no nvidia.com\/gpu allocatable; and 2 more$/);
  });
});
