/**
 * The validating webhook's rules, one pure function per topic (see types.ts), and the verdict:
 *
 * | rule                   | file                 | CREATE | UPDATE                      |
 * |------------------------|----------------------|--------|-----------------------------|
 * | annotation values      | annotations.ts       | all    | values that changed         |
 * | label selector         | selector.ts          | yes    | (immutable)                 |
 * | preset, gated models   | preset.ts            | yes    | (immutable)                 |
 * | adapters               | preset.ts            | yes    | when the adapters changed   |
 * | instance type and fit  | fit.ts               | yes    | (immutable)                 |
 * | bring-your-own nodes   | byo.ts               | yes    | no: nodes come and go       |
 * | inference ConfigMap    | inference-config.ts  | yes    | no, as Kaito                |
 * | immutable fields       | update.ts            | —      | yes                         |
 * | deprecated fields      | deprecated.ts        | warns  | —                           |
 * | tuning                 | `TUNING_RULES`       | per rule                             |
 *
 * A Workspace being deleted is never refused: its finalizer must come off whatever it holds.
 */
import { formatIssue, type Issue } from '@kaito-ts/core';
import { annotationValues } from './annotations.js';
import { byoNodeRules } from './byo.js';
import { deprecatedFields } from './deprecated.js';
import { instanceTypeRules } from './fit.js';
import { inferenceConfigRules } from './inference-config.js';
import { adapterRules, presetRules } from './preset.js';
import { labelSelectorRules } from './selector.js';
import type { AdmissionInput, WorkspaceRule } from './types.js';
import { immutableFields } from './update.js';

export const WORKSPACE_RULES: readonly WorkspaceRule[] = [
  annotationValues,
  labelSelectorRules,
  presetRules,
  adapterRules,
  instanceTypeRules,
  byoNodeRules,
  inferenceConfigRules,
  immutableFields,
  deprecatedFields,
];

/**
 * Rules for tuning Workspaces (`tuning` set), run after `WORKSPACE_RULES`. The tuning controller's
 * `validateTuningConfig` (the ConfigMap's sections and types, the method's quantisation) is added
 * here as a `WorkspaceRule`: the server reads `tuning.config` into `cluster.configMaps` already.
 */
export const TUNING_RULES: WorkspaceRule[] = [];

export interface Verdict {
  readonly errors: readonly Issue[];
  readonly warnings: readonly string[];
}

/** The rules for this Workspace: `TUNING_RULES` only for tuning Workspaces. */
export function rulesFor(workspace: AdmissionInput['workspace']): readonly WorkspaceRule[] {
  return workspace.tuning !== undefined ? [...WORKSPACE_RULES, ...TUNING_RULES] : WORKSPACE_RULES;
}

/** Every finding of every rule that applies: errors refuse the request, warnings are shown. */
export function validateWorkspace(input: AdmissionInput, rules: readonly WorkspaceRule[] = rulesFor(input.workspace)): Verdict {
  if (input.operation === 'UPDATE' && input.workspace.metadata.deletionTimestamp !== undefined) return { errors: [], warnings: [] };
  const errors: Issue[] = [];
  const warnings: string[] = [];
  for (const rule of rules) {
    for (const f of rule(input)) {
      if (f.warning === true) warnings.push(formatIssue(f));
      else errors.push({ path: f.path, message: f.message });
    }
  }
  return { errors, warnings };
}

/**
 * The refusal as `kubectl apply` prints it after `admission webhook "…" denied the request: `:
 * one problem on the line; several numbered, one per line.
 */
export function denialMessage(what: string, errors: readonly Issue[]): string {
  if (errors.length === 1 && errors[0] !== undefined) return `${what} is invalid: ${formatIssue(errors[0])}`;
  return `${what} is invalid (${errors.length} problems):\n${errors.map((e, i) => `  ${i + 1}. ${formatIssue(e)}`).join('\n')}`;
}
