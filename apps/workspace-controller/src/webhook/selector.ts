/**
 * `resource.labelSelector` rules the CRD cannot express, checked on CREATE (on UPDATE the
 * selector is immutable: the CRD's own rule):
 *
 * - it must read as a plain label map, as Kaito's `LabelSelectorAsMap`: `matchLabels` and `In`
 *   requirements with exactly one value. The controller copies those labels onto the nodes it
 *   requests and pins the pods to them; a `NotIn`/`Exists` requirement cannot be copied onto a
 *   node, so it would be silently ignored.
 * - `matchLabels` may not be made only of the controller's reserved keys (`kaito.sh/workspace`,
 *   `kaito.sh/workspacenamespace`): those are stripped, so an all-reserved selector would select
 *   every node. Reserved keys next to others are stripped with a warning, as Kaito logs one.
 */
import { RESERVED_LABEL_KEYS, type Workspace } from '@kaito-ts/api';
import { error, type Finding, warning, type WorkspaceRule } from './types.js';

const PATH = 'resource.labelSelector';

/** The selector as labels (reserved keys stripped), or undefined when it cannot be one. */
export function selectorLabels(ws: Workspace): Record<string, string> | undefined {
  const selector = ws.resource.labelSelector;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (!RESERVED_LABEL_KEYS.includes(k)) labels[k] = v;
  for (const r of selector.matchExpressions ?? []) {
    const only = r.values?.[0];
    if (r.operator !== 'In' || r.values?.length !== 1 || only === undefined) return undefined;
    if (RESERVED_LABEL_KEYS.includes(r.key)) continue;
    if (labels[r.key] !== undefined && labels[r.key] !== only) return undefined;
    labels[r.key] = only;
  }
  return labels;
}

function expressionFindings(ws: Workspace): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, string>(Object.entries(ws.resource.labelSelector.matchLabels ?? {}));
  (ws.resource.labelSelector.matchExpressions ?? []).forEach((r, i) => {
    const at = `${PATH}.matchExpressions[${i}]`;
    if (r.operator !== 'In') {
      out.push(error(`${at}.operator`, `expected In (the controller copies the selector onto nodes as labels; ${r.operator} cannot be a node label), got ${r.operator}; use matchLabels, e.g. matchLabels: {${r.key}: <value>}`));
    } else if (r.values?.length !== 1) {
      out.push(error(`${at}.values`, `expected exactly one value for In (it becomes the node label ${r.key}=<value>), got ${r.values?.length ?? 0}; e.g. values: [phi-3]`));
    } else {
      const value = r.values[0] ?? '';
      const other = seen.get(r.key);
      if (other !== undefined && other !== value) out.push(error(`${at}.values`, `${r.key} is already ${JSON.stringify(other)}; a node label has one value, got ${JSON.stringify(value)} as well`));
      seen.set(r.key, value);
    }
  });
  return out;
}

function reservedFindings(ws: Workspace): Finding[] {
  const keys = Object.keys(ws.resource.labelSelector.matchLabels ?? {});
  const reserved = keys.filter((k) => RESERVED_LABEL_KEYS.includes(k));
  if (reserved.length === 0) return [];
  if (reserved.length === keys.length) {
    return [
      error(
        `${PATH}.matchLabels`,
        `expected at least one label that is not reserved for the controller (${RESERVED_LABEL_KEYS.join(', ')} are set by it and ignored here, so this selector would match every node), got only ${reserved.join(', ')}; e.g. matchLabels: {apps: phi-3}`,
      ),
    ];
  }
  return [warning(`${PATH}.matchLabels`, `${reserved.join(', ')} ${reserved.length === 1 ? 'is' : 'are'} reserved for the controller and ignored`)];
}

export const labelSelectorRules: WorkspaceRule = ({ operation, workspace }) => {
  // Kaito checks the selector of inference Workspaces only; tuning ones are left as it leaves them.
  if (operation !== 'CREATE' || workspace.inference === undefined) return [];
  return [...expressionFindings(workspace), ...reservedFindings(workspace)];
};
