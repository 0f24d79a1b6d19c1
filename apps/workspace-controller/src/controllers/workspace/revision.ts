/**
 * The inference revision: a stable hash of what the inference pods are made from, stored on the
 * StatefulSet (annotation `workspace.kaito.io/hash`) so the controller rolls the pods out exactly
 * when it changes. Kaito hashes the whole spec (resource + inference + tuning) into a
 * ControllerRevision; here only what changes the pods counts: `inference` and the runtime
 * annotation. `resource` changes go through node planning (its instance type is immutable), and
 * metadata or status churn must never restart a model that takes half an hour to load.
 */
import { createHash } from 'node:crypto';
import { Annotations, type Workspace } from '@kaito-ts/api';
// A canonical JSON (sorted keys) so key order in the stored object cannot change the hash; the
// library is already in the tree through winston.
import { stringify } from 'safe-stable-stringify';

/** Length of the hex hash kept: 64 bits is plenty to tell one spec from the next of the same Workspace. */
const HASH_LENGTH = 16;

/** The annotation the StatefulSet carries the hash in (Kaito's key). */
export const REVISION_HASH_ANNOTATION = Annotations.hash;

/**
 * The hash of the parts of a Workspace that shape its inference pods. `placement` is what of the
 * observed nodes shapes them too (bring-your-own nodes: the planned hardware's label); absent for
 * node requests, so their hash is the same as before placements existed.
 */
export function inferenceRevision(workspace: Pick<Workspace, 'inference' | 'metadata'>, placement?: string): string {
  const runtime = workspace.metadata.annotations?.[Annotations.runtime];
  // `stringify` returns undefined only for undefined or a function; an object literal is neither;
  // an undefined `placement` is left out, as JSON.stringify does.
  const canonical = stringify({ inference: workspace.inference ?? null, runtime: runtime ?? null, placement }) ?? '';
  return createHash('sha256').update(canonical).digest('hex').slice(0, HASH_LENGTH);
}

/** Whether an observed object (the StatefulSet) was made from a different spec than `revision`. */
export function needsRollout(observed: { metadata?: { annotations?: Record<string, string> } } | undefined, revision: string): boolean {
  return observed?.metadata?.annotations?.[REVISION_HASH_ANNOTATION] !== revision;
}
