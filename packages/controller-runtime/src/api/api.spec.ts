import { AlreadyOwnedError } from '../errors.js';
import { mergePatchFor } from './merge-patch.js';
import { keyOf, parseKey } from './object.js';
import { controllerOf, controllerReference, isControlledBy, withControllerReference } from './owners.js';
import { collectionPath, objectPath, resourceId, Resources } from './resource.js';

const workspace = { apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', metadata: { name: 'ws', namespace: 'ns', uid: 'ws-uid' } };
const child = { metadata: { name: 'ws', namespace: 'ns' } };

describe('ownerReferences', () => {
  it('builds a controller reference that blocks owner deletion', () => {
    expect(controllerReference(workspace)).toEqual({
      apiVersion: 'kaito.sh/v1beta1',
      kind: 'Workspace',
      name: 'ws',
      uid: 'ws-uid',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it('sets the controller reference on a copy of the child', () => {
    const owned = withControllerReference(child, workspace);
    expect([isControlledBy(owned, workspace), child.metadata]).toEqual([true, { name: 'ws', namespace: 'ns' }]);
  });

  it('does not duplicate a controller reference set twice', () => {
    const owned = withControllerReference(withControllerReference(child, workspace), workspace);
    expect(owned.metadata.ownerReferences).toHaveLength(1);
  });

  it('refuses to replace another controller', () => {
    const other = { ...workspace, metadata: { ...workspace.metadata, name: 'other', uid: 'other-uid' } };
    expect(() => withControllerReference(withControllerReference(child, other), workspace)).toThrow(AlreadyOwnedError);
  });

  it('needs the owner’s uid', () => {
    expect(() => controllerReference({ ...workspace, metadata: { name: 'ws' } })).toThrow(/uid/);
  });

  it('finds no controller on an object without one', () => {
    expect(controllerOf(child)).toBeUndefined();
  });
});

describe('mergePatchFor', () => {
  it.each([
    ['nothing for equal values', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, undefined],
    ['changed keys', { a: 1, b: 2 }, { a: 1, b: 3 }, { b: 3 }],
    ['null for removed keys', { a: 1, b: 2 }, { a: 1 }, { b: null }],
    ['nested changes only', { c: { x: 1, y: 2 } }, { c: { x: 1, y: 3 } }, { c: { y: 3 } }],
    ['whole arrays', { l: [1, 2] }, { l: [1] }, { l: [1] }],
  ])('produces %s', (_what, from, to, patch) => {
    expect(mergePatchFor(from, to)).toEqual(patch);
  });
});

describe('keys and paths', () => {
  it.each([
    [{ metadata: { name: 'a', namespace: 'ns' } }, 'ns/a'],
    [{ metadata: { name: 'node-1' } }, 'node-1'],
  ])('keys %j as %s', (obj, key) => {
    expect(keyOf(obj)).toBe(key);
  });

  it('parses a cluster-scoped key with no namespace', () => {
    expect(parseKey('node-1')).toEqual({ namespace: undefined, name: 'node-1' });
  });

  it('builds core, group and cluster-scoped URLs', () => {
    expect([
      objectPath(Resources.ConfigMap, 'a', 'ns'),
      objectPath(Resources.StatefulSet, 'web', 'ns', 'status'),
      objectPath(Resources.NodeClaim, 'nc-1'),
      collectionPath(Resources.Pod),
    ]).toEqual([
      '/api/v1/namespaces/ns/configmaps/a',
      '/apis/apps/v1/namespaces/ns/statefulsets/web/status',
      '/apis/karpenter.sh/v1/nodeclaims/nc-1',
      '/api/v1/pods',
    ]);
  });

  it('requires a namespace for a namespaced object', () => {
    expect(() => objectPath(Resources.ConfigMap, 'a')).toThrow(/namespace/);
  });

  it('names resources by kind, group and version', () => {
    expect([resourceId(Resources.StatefulSet), resourceId(Resources.Pod)]).toEqual(['StatefulSet.apps/v1', 'Pod/v1']);
  });
});
