/**
 * The tuning revision: a hash of the Workspace's `tuning` spec, stored on the Job
 * (`workspace.kaito.io/hash`, as the inference StatefulSet's), so a changed spec re-runs the Job
 * and nothing else does. Canonical JSON (sorted keys), as `inferenceRevision`.
 */
import { createHash } from 'node:crypto';
import type { Workspace } from '@kaito-ts/api';
import { stringify } from 'safe-stable-stringify';

const HASH_LENGTH = 16;

export function tuningRevision(workspace: Pick<Workspace, 'tuning'>): string {
  // `stringify` returns undefined only for undefined or a function; an object literal is neither.
  const canonical = stringify({ tuning: workspace.tuning ?? null }) ?? '';
  return createHash('sha256').update(canonical).digest('hex').slice(0, HASH_LENGTH);
}
