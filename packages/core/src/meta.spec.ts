import { decode, formatIssue } from './decode.js';
import { ObjectMeta, OwnerReference } from './meta.js';

const messages = (value: unknown): string[] => {
  const result = decode(ObjectMeta, value);
  return result.ok ? [] : result.issues.map(formatIssue);
};

describe('ObjectMeta', () => {
  it('decodes metadata as the API server sends it, keeping fields it does not model', () => {
    const meta = {
      name: 'ws',
      namespace: 'default',
      uid: 'u1',
      resourceVersion: '7',
      generation: 2,
      labels: { app: 'a' },
      finalizers: ['kaito.sh/finalizer'],
      ownerReferences: [{ apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', name: 'ws', uid: 'u0', controller: true }],
      managedFields: [{ manager: 'kubectl' }],
    };
    const result = decode(ObjectMeta, meta);
    expect(result).toEqual({ ok: true, value: meta });
    expect(result.ok && result.value).toBe(meta);
  });

  it.each<[string, unknown, string[]]>([
    ['requires a name', { generateName: 'ws-' }, ['name: is required']],
    ['names a bad label', { name: 'a', labels: { app: 3 } }, ['labels.app: expected a string, got 3']],
    ['names a bad owner reference field', { name: 'a', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p' }] }, ['ownerReferences[0].uid: is required']],
    ['says labels must be a map of strings', { name: 'a', labels: ['x'] }, ['labels: expected a map of strings, got a list']],
  ])('%s', (_name, value, expected) => {
    expect(messages(value)).toEqual(expected);
  });
});

describe('OwnerReference', () => {
  it('accepts a controller reference', () => {
    expect(OwnerReference.is({ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u', controller: true, blockOwnerDeletion: true })).toBe(true);
  });
});
