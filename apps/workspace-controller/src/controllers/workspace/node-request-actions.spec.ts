import { makeInferenceWorkspace, makeTuningWorkspace } from '@kaito-ts/api/testing';
import { KubeClient } from '@kaito-ts/controller-runtime';
import { FakeApiServer, FakeEventRecorder, silentLogger } from '@kaito-ts/controller-runtime/testing';
import { type NodeRequest, nodeRequestClient, nodeRequestResource } from '@kaito-ts/karpenter';
import { nodeRequestActions } from './node-request-actions.js';

const identity = { name: 'phi-3', namespace: 'team-a', uid: '0b7c6a4e-2f9e-4a53-9a8e-1f2d3c4b5a69' };
const log = silentLogger();

describe.each(['nodeclaim', 'machine'] as const)('nodeRequestActions (%s)', (api) => {
  const setup = () => {
    const server = new FakeApiServer();
    const client = nodeRequestClient(new KubeClient(server, { fieldManager: 't' }), api);
    const events = new FakeEventRecorder();
    return { server, client, events, actions: nodeRequestActions(client, events) };
  };

  it.each([
    ['an inference', makeInferenceWorkspace({ metadata: { annotations: { 'kaito.sh/node-image-family': 'azurelinux' } } })],
    ['a tuning', makeTuningWorkspace({ metadata: { annotations: { 'kaito.sh/node-image-family': 'azurelinux' } } })],
  ])('creates the planned requests of %s Workspace with its node image family, once each', async (_kind, ws) => {
    const { server, actions, events } = setup();
    const made = await actions.ensure(ws, identity, [], { count: 2, gpusPerNode: 1 }, log);
    expect(made).toHaveLength(2);
    expect(server.list<NodeRequest>(nodeRequestResource(api)).map((r) => r.metadata.annotations?.['kaito.sh/node-image-family'])).toEqual(['azurelinux', 'azurelinux']);
    expect(events.reasons()).toEqual(['NodeRequestCreated', 'NodeRequestCreated']);
    // A second pass whose cache has not seen the first one's creates: AlreadyExists, no duplicate.
    await actions.ensure(ws, identity, [], { count: 2, gpusPerNode: 1 }, log);
    expect(server.list(nodeRequestResource(api))).toHaveLength(2);
    expect(events.reasons()).toHaveLength(2);
  });

  it('creates nothing while the live requests cover the plan, and releases only those not already deleting', async () => {
    const { server, client, actions } = setup();
    const ws = makeInferenceWorkspace();
    const live = await actions.ensure(ws, identity, [], { count: 1, gpusPerNode: 1 }, log);
    expect(await actions.ensure(ws, identity, live, { count: 1, gpusPerNode: 1 }, log)).toHaveLength(1);
    const deleting = { ...live[0]!, metadata: { ...live[0]!.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    await actions.release([deleting], log);
    expect(server.writes({ method: 'DELETE' })).toHaveLength(0);
    await actions.release(live, log);
    expect(await client.get(live[0]!.metadata.name)).toBeUndefined();
  });
});
