/**
 * Pieces shared by the Machine, NodeClaim and Node codecs. Codecs are not exact: fields we do not
 * model pass through a decode untouched, so an object read and written back loses nothing.
 */
import * as t from 'io-ts';
import { oneOf } from '@kaito-ts/api';

export const TaintEffect = oneOf('TaintEffect', ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

export const Taint = t.intersection(
  [t.type({ key: t.string, effect: TaintEffect }), t.partial({ value: t.string, timeAdded: t.string })],
  'Taint',
);
export type Taint = t.TypeOf<typeof Taint>;

export const RequirementOperator = oneOf('NodeSelectorOperator', ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
export type RequirementOperator = t.TypeOf<typeof RequirementOperator>;

/** core/v1 NodeSelectorRequirement, plus NodeClaim v1's `minValues`. */
export const Requirement = t.intersection(
  [t.type({ key: t.string, operator: RequirementOperator }), t.partial({ values: t.array(t.string), minValues: t.number })],
  'NodeSelectorRequirement',
);
export type Requirement = t.TypeOf<typeof Requirement>;

/** A quantity as the API server sends it: `"8"`, `"100Gi"`, or a bare integer. */
export const QuantityValue = t.union([t.string, t.number], 'Quantity');
export type QuantityValue = t.TypeOf<typeof QuantityValue>;

export const ResourceList = t.record(t.string, QuantityValue, 'ResourceList');
export type ResourceList = t.TypeOf<typeof ResourceList>;

export const ConditionStatus = oneOf('ConditionStatus', ['True', 'False', 'Unknown']);
export type ConditionStatus = t.TypeOf<typeof ConditionStatus>;

/**
 * Machine's knative-style condition: only type and status are required; severity is `Error`,
 * `Warning`, `Info` or empty.
 */
export const KnativeCondition = t.intersection(
  [
    t.type({ type: t.string, status: ConditionStatus }),
    t.partial({ severity: t.string, lastTransitionTime: t.string, reason: t.string, message: t.string }),
  ],
  'KnativeCondition',
);
export type KnativeCondition = t.TypeOf<typeof KnativeCondition>;

/**
 * NodeClaim's condition (operatorpkg, metav1.Condition shape). The CRD requires every field but
 * observedGeneration; the codec tolerates their absence (v1beta1-era objects) and the NodeRequest
 * view fills in empty strings.
 */
export const MetaCondition = t.intersection(
  [
    t.type({ type: t.string, status: ConditionStatus }),
    t.partial({ lastTransitionTime: t.string, reason: t.string, message: t.string, observedGeneration: t.number }),
  ],
  'Condition',
);
export type MetaCondition = t.TypeOf<typeof MetaCondition>;
