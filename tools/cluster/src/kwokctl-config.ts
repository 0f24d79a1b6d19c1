import { stringify } from 'yaml';
import { binaryPath } from './binaries.js';
import type { ClusterPaths } from './paths.js';
import type { Versions } from './versions.js';

/**
 * The components every cluster runs. kube-controller-manager and kube-scheduler are what make
 * Deployments/StatefulSets/Jobs create pods, place them and garbage-collect children.
 */
export const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok-controller',
] as const;

/**
 * Controllers the local control plane does not need: cloud, CSI/volume and certificate machinery
 * that has nothing to act on without kubelets. Everything else (garbage collector, namespace,
 * deployment, replicaset, statefulset, job, cronjob, serviceaccount, node lifecycle, endpoints,
 * disruption, ttl-after-finished, resourcequota, ...) keeps kube-controller-manager's defaults.
 */
export const DISABLED_CONTROLLERS = [
  'bootstrap-signer-controller',
  'token-cleaner-controller',
  'certificatesigningrequest-signing-controller',
  'certificatesigningrequest-approving-controller',
  'certificatesigningrequest-cleaner-controller',
  'persistentvolume-attach-detach-controller',
  'persistentvolume-expander-controller',
  'ephemeral-volume-controller',
] as const;

/** A KwokctlConfiguration for the binary runtime, pointed at our built binaries, on 127.0.0.1. */
export function kwokctlConfiguration(paths: ClusterPaths, v: Versions): Record<string, unknown> {
  return {
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      bindAddress: '127.0.0.1',
      kubeVersion: v.kube,
      etcdVersion: v.etcd,
      kwokVersion: v.kwok,
      cacheDir: `${paths.kwokWorkdir}/cache`,
      kubeApiserverBinary: binaryPath(paths, 'kube-apiserver', v),
      kubeControllerManagerBinary: binaryPath(paths, 'kube-controller-manager', v),
      kubeSchedulerBinary: binaryPath(paths, 'kube-scheduler', v),
      etcdBinary: binaryPath(paths, 'etcd', v),
      kwokControllerBinary: binaryPath(paths, 'kwok', v),
      components: [...COMPONENTS],
      // Stages come from tools/cluster/stages as Stage objects, the same set the kind path installs.
      enableCRDs: ['Stage'],
      securePort: true,
      kubeAuthorization: true,
      kubeAdmission: true,
    },
    componentsPatches: [
      // kwok manages only the nodes annotated kwok.x-k8s.io/node=fake (as on the kind path; kwokctl
      // passes --manage-all-nodes=true, which the override replaces), so
      // nodes served by the process kubelet (src/kubelet) get no kwok heartbeats and no pod stages.
      {
        name: 'kwok-controller',
        extraArgs: [
          { key: 'manage-all-nodes', value: 'false', override: true },
          { key: 'manage-nodes-with-annotation-selector', value: 'kwok.x-k8s.io/node=fake' },
        ],
      },
      {
        name: 'kube-controller-manager',
        extraArgs: [{ key: 'controllers', value: ['*', ...DISABLED_CONTROLLERS.map((c) => `-${c}`)].join(',') }],
      },
    ],
  };
}

export function kwokctlConfigurationYaml(paths: ClusterPaths, v: Versions): string {
  return stringify(kwokctlConfiguration(paths, v));
}
