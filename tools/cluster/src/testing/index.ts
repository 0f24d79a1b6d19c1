/// <reference types="jest" />
// Helpers for integration tests against the local control plane (see docs/local-cluster.md).
// Global setup (tools/cluster/src/jest/global-setup.ts) has started or reused the cluster and set
// KUBECONFIG; these helpers read it.
import type { KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import { eventually } from '@kaito-ts/core/testing';
import { type ApplyOptions, applyObject, applyYamlText } from '../apply.js';
import { isNotFound, type KubeClients, kubeClientsFor, loadKubeConfig } from '../kube.js';

export { simulateAnnotations, SIMULATE_ANNOTATION, COMPLETE_AFTER_ANNOTATION } from '../simulate.js';
export type { SimulatedOutcome } from '../simulate.js';
export { addGpuNode, deleteGpuNodes, gpuNodeManifest, waitForNodeReady, isNodeReady } from '../gpu-node.js';
export { apiMessage, isNotFound, isConflict, statusCodeOf, type KubeClients } from '../kube.js';
export { parseYamlObjects } from '../apply.js';

const clientCache = new Map<string, KubeClients>();

/** Typed clients for the test cluster (KUBECONFIG from global setup, or the path given). */
export function kubeClients(kubeconfig: string | undefined = process.env['KUBECONFIG']): KubeClients {
  if (kubeconfig === undefined || kubeconfig === '') {
    throw new Error('KUBECONFIG is not set: run integration tests with jest -c jest.integration.config.cjs');
  }
  let clients = clientCache.get(kubeconfig);
  if (clients === undefined) {
    clients = kubeClientsFor(loadKubeConfig(kubeconfig));
    clientCache.set(kubeconfig, clients);
  }
  return clients;
}

/** Server-side apply of one object; namespaced objects without a namespace go to `opts.namespace`. */
export function apply<T extends KubernetesObject>(obj: T, opts: ApplyOptions = {}): Promise<T> {
  return applyObject(kubeClients().kc, obj, { fieldManager: 'kaito-ts-tests', ...opts });
}

/** Server-side apply of every document in a YAML text. */
export function applyYaml(text: string, opts: ApplyOptions = {}): Promise<KubernetesObject[]> {
  return applyYamlText(kubeClients().kc, text, { fieldManager: 'kaito-ts-tests', ...opts });
}

export interface TestNamespace {
  /** The namespace's name; available from beforeAll on. */
  readonly name: string;
  readonly clients: KubeClients;
}

const dnsLabel = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);

/**
 * A fresh namespace for this test file: created (with its default ServiceAccount ready) in
 * beforeAll, deleted in afterAll. Call at the top of a test file or describe block.
 */
export function useNamespace(prefix = 'it'): TestNamespace {
  let name: string | undefined;
  const handle: TestNamespace = {
    get name(): string {
      if (name === undefined) throw new Error('useNamespace(): the namespace exists only from beforeAll on');
      return name;
    },
    get clients(): KubeClients {
      return kubeClients();
    },
  };
  beforeAll(async () => {
    const { core } = kubeClients();
    const candidate = `${dnsLabel(prefix)}-${Math.random().toString(36).slice(2, 8)}`;
    const ns: V1Namespace = {
      metadata: { name: candidate, labels: { 'kaito-ts.dev/test-namespace': 'true' } },
    };
    await core.createNamespace({ body: ns });
    name = candidate;
    // Pods are rejected until the serviceaccount controller has created "default".
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: candidate }), {
      timeoutMs: 30_000,
      description: `ServiceAccount default in ${candidate}`,
    });
  });
  afterAll(async () => {
    if (name === undefined) return;
    await kubeClients()
      .core.deleteNamespace({ name })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  });
  return handle;
}
export { useProcessKubelet, type ProcessKubeletHandle, type UseProcessKubeletOptions } from './process-kubelet.js';
export { RUN_AS_PROCESS_ANNOTATION } from '../kubelet/kubelet.js';
export { WRITABLE_HOST_PATHS_ANNOTATION } from '../kubelet/volumes.js';
export { HOST_PORTS_ANNOTATION } from '../kubelet/host-ports.js';
export { PROCESS_KUBELET_LABEL } from '../gpu-node.js';
export { impersonatingKubeConfig, serviceAccountUser, writeImpersonatingKubeconfig, type ServiceAccountRef } from './impersonate.js';
