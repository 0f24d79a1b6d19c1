import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectLookup, Pod } from './types.js';
import { VolumeSetupError } from './types.js';
import { containerMounts, prepareVolumes } from './volumes.js';

const lookup: ObjectLookup = {
  configMap: async (_ns, name) => (name === 'cfg' ? { 'training_config.yaml': 'epochs: 1\n', other: 'o' } : undefined),
  secret: async (_ns, name) => (name === 'push' ? { '.dockerconfigjson': Buffer.from('{"auths":{}}') } : undefined),
  serviceAccountToken: async (ns, sa) => `token-for-${ns}/${sa}`,
};

const base = (volumes: NonNullable<Pod['spec']['volumes']>): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { a: 'b' } },
  spec: { containers: [{ name: 'c' }], volumes },
});

describe('volumes', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'volumes-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes configMap items, secrets with their mode, downward API and projected files', async () => {
    const vols = await prepareVolumes(
      base([
        { name: 'config', configMap: { name: 'cfg', items: [{ key: 'training_config.yaml', path: 'sub/train.yaml', mode: 0o600 }] } },
        { name: 'docker', secret: { secretName: 'push', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        {
          name: 'api',
          projected: {
            sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { configMap: { name: 'cfg', items: [{ key: 'other', path: 'o.txt' }] } }],
          },
        },
        { name: 'scratch', emptyDir: {} },
      ]),
      dir,
      lookup,
      {},
    );
    const path = (v: string, f: string): string => join(vols.get(v)?.path ?? '', f);
    expect(readFileSync(path('config', 'sub/train.yaml'), 'utf8')).toBe('epochs: 1\n');
    expect(statSync(path('config', 'sub/train.yaml')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path('docker', '.dockerconfigjson'), 'utf8')).toBe('{"auths":{}}');
    expect(statSync(path('docker', '.dockerconfigjson')).mode & 0o777).toBe(0o400);
    expect(readFileSync(path('info', 'labels'), 'utf8')).toBe('a="b"');
    expect(readFileSync(path('api', 'token'), 'utf8')).toBe('token-for-ns/default');
    expect(readFileSync(path('api', 'o.txt'), 'utf8')).toBe('o');
    expect(vols.get('scratch')?.alwaysReadOnly).toBe(false);
  });

  it('fails like FailedMount for a missing object or key, unless optional', async () => {
    await expect(prepareVolumes(base([{ name: 'v', configMap: { name: 'gone' } }]), dir, lookup, {})).rejects.toThrow(
      new VolumeSetupError('MountVolume.SetUp failed for volume "v": configmap "gone" not found'),
    );
    await expect(prepareVolumes(base([{ name: 'v', secret: { secretName: 'push', items: [{ key: 'x', path: 'x' }] } }]), dir, lookup, {})).rejects.toThrow(
      'secret "push" has no key "x"',
    );
    await expect(prepareVolumes(base([{ name: 'v', secret: { secretName: 'gone', optional: true } }]), dir, lookup, {})).resolves.toBeDefined();
  });

  it('mounts hostPath volumes read-only unless the pod lists them as writable', async () => {
    const pod = base([
      { name: 'in', hostPath: { path: dir } },
      { name: 'out', hostPath: { path: dir } },
    ]);
    const annotated: Pod = { ...pod, metadata: { ...pod.metadata, annotations: { 'kaito-ts.dev/writable-host-paths': 'out, other' } } };
    const vols = await prepareVolumes(annotated, dir, lookup, {});
    expect(vols.get('in')).toEqual({ path: dir, alwaysReadOnly: true });
    expect(vols.get('out')).toEqual({ path: dir, alwaysReadOnly: false });
  });

  it('mounts subPaths and keeps read-only volumes read-only whatever the volumeMount says', () => {
    const vols = new Map([
      ['cfg', { path: '/p/cfg', alwaysReadOnly: true }],
      ['host', { path: '/data', alwaysReadOnly: true }],
      ['rw', { path: '/data', alwaysReadOnly: false }],
      ['tmp', { path: '/p/tmp', alwaysReadOnly: false }],
    ]);
    expect(
      containerMounts(
        {
          name: 'c',
          volumeMounts: [
            { name: 'cfg', mountPath: '/mnt/config/training_config.yaml', subPath: 'training_config.yaml', readOnly: false },
            { name: 'host', mountPath: '/in', readOnly: false },
            { name: 'rw', mountPath: '/out' },
            { name: 'rw', mountPath: '/out-ro', readOnly: true },
            { name: 'tmp', mountPath: '/tmp/x' },
          ],
        },
        vols,
      ),
    ).toEqual([
      { source: '/p/cfg/training_config.yaml', target: '/mnt/config/training_config.yaml', readOnly: true },
      { source: '/data', target: '/in', readOnly: true },
      { source: '/data', target: '/out', readOnly: false },
      { source: '/data', target: '/out-ro', readOnly: true },
      { source: '/p/tmp', target: '/tmp/x', readOnly: false },
    ]);
    expect(() => containerMounts({ name: 'c', volumeMounts: [{ name: 'tmp', mountPath: '/x', subPath: '../../etc' }] }, vols)).toThrow('leaves volume "tmp"');
  });

  it('mounts a subPath of a hostPath volume at / or with a trailing slash', () => {
    const vols = new Map([
      ['root', { path: '/', alwaysReadOnly: true }],
      ['slash', { path: '/data/', alwaysReadOnly: true }],
    ]);
    expect(
      containerMounts({ name: 'c', volumeMounts: [{ name: 'root', mountPath: '/host-etc', subPath: 'etc' }, { name: 'slash', mountPath: '/in', subPath: 'x' }] }, vols),
    ).toEqual([
      { source: '/etc', target: '/host-etc', readOnly: true },
      { source: '/data/x', target: '/in', readOnly: true },
    ]);
    expect(() => containerMounts({ name: 'c', volumeMounts: [{ name: 'slash', mountPath: '/x', subPath: '../etc' }] }, vols)).toThrow('leaves volume "slash"');
  });

  it('refuses a relative mountPath, which would land in the kubelet\'s working directory (the repository)', () => {
    const vols = new Map([['tmp', { path: '/p/tmp', alwaysReadOnly: false }]]);
    expect(() => containerMounts({ name: 'c', volumeMounts: [{ name: 'tmp', mountPath: 'data' }] }, vols)).toThrow('container "c": mountPath "data" must be an absolute path');
  });
});
