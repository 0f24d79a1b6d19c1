/**
 * What an UPDATE may not change: `@kaito-ts/api`'s `updateIssues`, the same rules the CRD states
 * in CEL (instance type, selector, count, partition, preset name, preset ↔ template, inference ↔
 * tuning, tuning method and input name). The API server runs the CEL rules before calling any
 * webhook, so here they guard an API server whose CRD is older than this controller.
 *
 * Where Kaito is stricter we choose compatibility with what our CRD already admits (see
 * docs/differences-from-kaito.md): `inference.preset.presetOptions` may change (a new
 * `modelAccessSecret` rolls the pods with the new token), only the preset name is immutable.
 */
import { updateIssues } from '@kaito-ts/api';
import { error, type WorkspaceRule } from './types.js';

export const immutableFields: WorkspaceRule = ({ operation, workspace, old }) => {
  if (operation !== 'UPDATE' || old === undefined) return [];
  return updateIssues(old, workspace).map((i) => error(i.path, i.message));
};
