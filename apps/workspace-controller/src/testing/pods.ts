import type { V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';

/** A container status, running and Ready unless overridden. */
export function makeContainerStatus(overrides: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return {
    name: 'workspace-phi-3',
    image: 'mcr.microsoft.com/aks/kaito/kaito-base:0.5.0',
    imageID: '',
    ready: true,
    restartCount: 0,
    state: { running: {} },
    ...overrides,
  };
}

export interface PodOptions {
  readonly name?: string;
  /** The pod's Ready condition and its default container's readiness. Default true. */
  readonly ready?: boolean;
  readonly containers?: V1ContainerStatus[];
  readonly initContainers?: V1ContainerStatus[];
  readonly conditions?: V1PodCondition[];
  readonly phase?: string;
  readonly deleting?: boolean;
}

/** An inference pod of the `makeInferenceWorkspace` Workspace, Running and Ready unless overridden. */
export function makePod(o: PodOptions = {}): V1Pod {
  const ready = o.ready ?? true;
  return {
    metadata: {
      name: o.name ?? 'workspace-phi-3-0',
      labels: { 'kaito.sh/workspace': 'workspace-phi-3' },
      ...(o.deleting === true ? { deletionTimestamp: new Date('2025-01-01T00:00:00Z') } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.conditions ?? [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False' },
      ],
      containerStatuses: o.containers ?? [makeContainerStatus({ ready })],
      ...(o.initContainers !== undefined ? { initContainerStatuses: o.initContainers } : {}),
    },
  };
}
