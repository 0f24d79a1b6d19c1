import * as t from 'io-ts';
import { oneOf, StringMap } from './primitives.js';

export const OwnerReference = t.intersection(
  [
    t.type({ apiVersion: t.string, kind: t.string, name: t.string, uid: t.string }),
    t.partial({ controller: t.boolean, blockOwnerDeletion: t.boolean }),
  ],
  'OwnerReference',
);
export type OwnerReference = t.TypeOf<typeof OwnerReference>;

/** The parts of metav1.ObjectMeta our code reads. Other fields pass through untouched. */
export const ObjectMeta = t.partial(
  {
    name: t.string,
    generateName: t.string,
    namespace: t.string,
    uid: t.string,
    resourceVersion: t.string,
    generation: t.number,
    creationTimestamp: t.string,
    deletionTimestamp: t.string,
    labels: StringMap,
    annotations: StringMap,
    finalizers: t.array(t.string),
    ownerReferences: t.array(OwnerReference),
  },
  'ObjectMeta',
);
export type ObjectMeta = t.TypeOf<typeof ObjectMeta>;

export const LabelSelectorRequirement = t.intersection(
  [
    t.type({ key: t.string, operator: oneOf('LabelSelectorOperator', ['In', 'NotIn', 'Exists', 'DoesNotExist']) }),
    t.partial({ values: t.array(t.string) }),
  ],
  'LabelSelectorRequirement',
);
export type LabelSelectorRequirement = t.TypeOf<typeof LabelSelectorRequirement>;

export const LabelSelector = t.partial(
  { matchLabels: StringMap, matchExpressions: t.array(LabelSelectorRequirement) },
  'LabelSelector',
);
export type LabelSelector = t.TypeOf<typeof LabelSelector>;

export const ConditionStatus = oneOf('ConditionStatus', ['True', 'False', 'Unknown']);
export type ConditionStatus = t.TypeOf<typeof ConditionStatus>;

/** metav1.Condition. */
export const Condition = t.intersection(
  [
    t.type({ type: t.string, status: ConditionStatus, lastTransitionTime: t.string, reason: t.string, message: t.string }),
    t.partial({ observedGeneration: t.number }),
  ],
  'Condition',
);
export type Condition = t.TypeOf<typeof Condition>;

export const LocalObjectReference = t.type({ name: t.string }, 'LocalObjectReference');
export type LocalObjectReference = t.TypeOf<typeof LocalObjectReference>;
