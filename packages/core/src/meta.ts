/**
 * metav1.ObjectMeta and OwnerReference as io-ts codecs: one shape for the Workspace API, the
 * controller runtime and the node APIs alike. Not exact: fields we do not model pass through a
 * decode untouched, so an object read and written back loses nothing.
 */
import * as t from 'io-ts';

/** A string-keyed map of strings (labels, annotations, ConfigMap data). */
export const StringMap = t.record(t.string, t.string, 'StringMap');
export type StringMap = t.TypeOf<typeof StringMap>;

export const OwnerReference = t.intersection(
  [
    t.type({ apiVersion: t.string, kind: t.string, name: t.string, uid: t.string }),
    t.partial({ controller: t.boolean, blockOwnerDeletion: t.boolean }),
  ],
  'OwnerReference',
);
export type OwnerReference = t.TypeOf<typeof OwnerReference>;

/**
 * The parts of metav1.ObjectMeta our code reads. `name` is required: every object the API server
 * returns has one (it fills `generateName` in on create), and controllers key their work by it.
 */
export const ObjectMeta = t.intersection(
  [
    t.type({ name: t.string }),
    t.partial({
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
    }),
  ],
  'ObjectMeta',
);
export type ObjectMeta = t.TypeOf<typeof ObjectMeta>;
