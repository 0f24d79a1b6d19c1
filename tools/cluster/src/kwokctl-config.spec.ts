import { parse } from 'yaml';
import { binaryPath } from './binaries.js';
import { COMPONENTS, kwokctlConfigurationYaml } from './kwokctl-config.js';
import { clusterPaths } from './paths.js';
import { parseVersionsEnv } from './versions.js';

const v = parseVersionsEnv('KUBE_VERSION=v1.34.4\nETCD_VERSION=v3.6.16\nKWOK_VERSION=v0.8.0\nHELM_VERSION=v3.22.0\n');
const paths = clusterPaths('t', { KAITO_TS_CACHE: '/tmp/kaito-cache' });

describe('kwokctlConfiguration', () => {
  const conf = parse(kwokctlConfigurationYaml(paths, v)) as {
    options: Record<string, unknown>;
    componentsPatches: { name: string; extraArgs: { key: string; value: string }[] }[];
  };

  it('runs the binary runtime on 127.0.0.1 with the cached binaries', () => {
    expect(conf.options).toMatchObject({
      runtime: 'binary',
      bindAddress: '127.0.0.1',
      kubeVersion: 'v1.34.4',
      kubeApiserverBinary: '/tmp/kaito-cache/bin/kube-apiserver-v1.34.4/kube-apiserver',
      etcdBinary: '/tmp/kaito-cache/bin/etcd-v3.6.16/etcd',
      kwokControllerBinary: '/tmp/kaito-cache/bin/kwok-v0.8.0/kwok',
    });
    expect(conf.options['kubeSchedulerBinary']).toBe(binaryPath(paths, 'kube-scheduler', v));
  });

  it('runs controller-manager and scheduler, and takes stages as Stage objects', () => {
    expect(conf.options['components']).toEqual([...COMPONENTS]);
    expect(COMPONENTS).toEqual(expect.arrayContaining(['kube-controller-manager', 'kube-scheduler']));
    expect(conf.options['enableCRDs']).toEqual(['Stage']);
  });

  it('has kwok manage only nodes annotated kwok.x-k8s.io/node=fake, so process-kubelet nodes are left alone', () => {
    expect(conf.componentsPatches.find((p) => p.name === 'kwok-controller')?.extraArgs).toEqual([
      { key: 'manage-all-nodes', value: 'false', override: true },
      { key: 'manage-nodes-with-annotation-selector', value: 'kwok.x-k8s.io/node=fake' },
    ]);
  });

  it('keeps the controllers workloads need and disables only unneeded ones', () => {
    const controllers = conf.componentsPatches
      .find((p) => p.name === 'kube-controller-manager')
      ?.extraArgs.find((a) => a.key === 'controllers')?.value;
    expect(controllers?.split(',')[0]).toBe('*');
    for (const needed of [
      'garbage-collector-controller',
      'namespace-controller',
      'deployment-controller',
      'replicaset-controller',
      'statefulset-controller',
      'job-controller',
      'serviceaccount-controller',
    ]) {
      expect(controllers).not.toContain(`-${needed}`);
    }
  });
});

describe('parseVersionsEnv', () => {
  it('rejects a missing version with the file to fix', () => {
    expect(() => parseVersionsEnv('KUBE_VERSION=v1.34.4\n')).toThrow(/ETCD_VERSION is missing.*versions.env/);
  });
});

describe('clusterPaths', () => {
  it('keeps everything outside the repository under the cache root', () => {
    const p = clusterPaths('demo', { XDG_CACHE_HOME: '/xdg' });
    expect(p.cacheRoot).toBe('/xdg/kaito-ts');
    expect(p.binDir).toBe('/xdg/kaito-ts/bin');
    expect(p.kubeconfig).toBe('/xdg/kaito-ts/kwok/clusters/demo/kubeconfig.yaml');
    expect(clusterPaths('demo', { HOME: '/home/u' }).cacheRoot).toBe('/home/u/.cache/kaito-ts');
  });
});
