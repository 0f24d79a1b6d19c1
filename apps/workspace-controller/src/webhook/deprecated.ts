/**
 * Fields Kaito deprecated and the controller does not read: admitted, as Kaito admits them, with a warning on
 * CREATE so the user learns that setting them changes nothing (`kubectl apply` prints
 * `Warning: …`). `presetOptions.imagePullSecrets` is not among them: the inference pods use it.
 */
import type { PresetSpec } from '@kaito-ts/api';
import { type Finding, warning, type WorkspaceRule } from './types.js';

function presetWarnings(at: string, preset: PresetSpec | undefined): Finding[] {
  if (preset === undefined) return [];
  const out: Finding[] = [];
  if (preset.accessMode !== undefined) out.push(warning(`${at}.accessMode`, 'is deprecated and ignored: preset images are public'));
  if (preset.presetOptions?.image !== undefined) out.push(warning(`${at}.presetOptions.image`, 'is deprecated and ignored: the runtime image comes from the preset catalog'));
  return out;
}

export const deprecatedFields: WorkspaceRule = ({ operation, workspace: ws }) => {
  if (operation !== 'CREATE') return [];
  return [
    ...((ws.resource.preferredNodes ?? []).length > 0 ? [warning('resource.preferredNodes', 'is deprecated and ignored: nodes are chosen by resource.labelSelector')] : []),
    ...presetWarnings('inference.preset', ws.inference?.preset),
    ...presetWarnings('tuning.preset', ws.tuning?.preset),
  ];
};
