/** The parts of core/v1 Node the lifecycle reads. Everything else passes through. */
import * as t from 'io-ts';
import { ObjectMeta } from '@kaito-ts/core';
import { ConditionStatus, ResourceList, Taint } from './common.js';

export const NodeCondition = t.intersection(
  [
    t.type({ type: t.string, status: ConditionStatus }),
    t.partial({ reason: t.string, message: t.string, lastTransitionTime: t.string, lastHeartbeatTime: t.string }),
  ],
  'NodeCondition',
);
export type NodeCondition = t.TypeOf<typeof NodeCondition>;

export const Node = t.intersection(
  [
    t.type({ metadata: ObjectMeta }),
    t.partial({
      apiVersion: t.string,
      kind: t.string,
      spec: t.partial({ providerID: t.string, taints: t.array(Taint), unschedulable: t.boolean }),
      status: t.partial({ capacity: ResourceList, allocatable: ResourceList, conditions: t.array(NodeCondition) }),
    }),
  ],
  'Node',
);
export type Node = t.TypeOf<typeof Node>;
