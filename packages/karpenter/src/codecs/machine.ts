/** Machine, karpenter.sh/v1alpha5 (karpenter-core v0.29 `pkg/apis/v1alpha5/machine{,_status}.go`). Cluster-scoped. */
import * as t from 'io-ts';
import { ObjectMeta } from '@kaito-ts/core';
import { KnativeCondition, Requirement, ResourceList, Taint } from './common.js';

export const MachineTemplateRef = t.intersection(
  [t.type({ name: t.string }), t.partial({ kind: t.string, apiVersion: t.string })],
  'MachineTemplateRef',
);
export type MachineTemplateRef = t.TypeOf<typeof MachineTemplateRef>;

export const MachineSpec = t.partial(
  {
    taints: t.array(Taint),
    startupTaints: t.array(Taint),
    requirements: t.array(Requirement),
    resources: t.partial({ requests: ResourceList }),
    /** Kubelet settings; not interpreted here, passed through. */
    kubelet: t.UnknownRecord,
    machineTemplateRef: MachineTemplateRef,
  },
  'MachineSpec',
);
export type MachineSpec = t.TypeOf<typeof MachineSpec>;

export const MachineStatus = t.partial(
  {
    nodeName: t.string,
    providerID: t.string,
    capacity: ResourceList,
    allocatable: ResourceList,
    conditions: t.array(KnativeCondition),
  },
  'MachineStatus',
);
export type MachineStatus = t.TypeOf<typeof MachineStatus>;

export const Machine = t.intersection(
  [t.type({ metadata: ObjectMeta }), t.partial({ apiVersion: t.string, kind: t.string, spec: MachineSpec, status: MachineStatus })],
  'Machine',
);
export type Machine = t.TypeOf<typeof Machine>;
