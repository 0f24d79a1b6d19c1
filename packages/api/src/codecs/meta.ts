import * as t from 'io-ts';
import { StringMap } from '@kaito-ts/core';
import { oneOf } from './primitives.js';

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
