/** NodeClaim, karpenter.sh/v1 (Karpenter v1.7 `pkg/apis/v1/nodeclaim{,_status}.go`). Cluster-scoped; spec immutable. */
import * as t from 'io-ts';
import { ObjectMeta } from '@kaito-ts/core';
import { MetaCondition, Requirement, ResourceList, Taint } from './common.js';

export const NodeClassReference = t.type({ group: t.string, kind: t.string, name: t.string }, 'NodeClassReference');
export type NodeClassReference = t.TypeOf<typeof NodeClassReference>;

export const NodeClaimSpec = t.partial(
  {
    taints: t.array(Taint),
    startupTaints: t.array(Taint),
    requirements: t.array(Requirement),
    resources: t.partial({ requests: ResourceList }),
    nodeClassRef: NodeClassReference,
    terminationGracePeriod: t.string,
    expireAfter: t.string,
  },
  'NodeClaimSpec',
);
export type NodeClaimSpec = t.TypeOf<typeof NodeClaimSpec>;

export const NodeClaimStatus = t.partial(
  {
    nodeName: t.string,
    providerID: t.string,
    imageID: t.string,
    capacity: ResourceList,
    allocatable: ResourceList,
    conditions: t.array(MetaCondition),
    lastPodEventTime: t.string,
  },
  'NodeClaimStatus',
);
export type NodeClaimStatus = t.TypeOf<typeof NodeClaimStatus>;

export const NodeClaim = t.intersection(
  [t.type({ metadata: ObjectMeta }), t.partial({ apiVersion: t.string, kind: t.string, spec: NodeClaimSpec, status: NodeClaimStatus })],
  'NodeClaim',
);
export type NodeClaim = t.TypeOf<typeof NodeClaim>;
