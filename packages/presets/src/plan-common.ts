// Small pieces both modes use: the node-count verdict, the memory-check bypass, a gated-model note.
import type { PresetModel } from './catalog/model-codec.js';
import type { NodeCountVerdict, Plan, PlanOptions } from './plan-types.js';

/** How the user's node count compares with the fewest nodes that fit (`undefined`: none fits). */
export function nodeVerdict(minimum: number | undefined, requested = 1): NodeCountVerdict {
  if (minimum === undefined) return { requested, verdict: 'too-few' };
  return { minimum, requested, verdict: requested === minimum ? 'enough' : requested > minimum ? 'more-than-needed' : 'too-few' };
}

/** Kaito's `kaito.sh/bypass-resource-checks`: a memory misfit becomes a fit that says so. */
export function bypass(plan: Plan, options: PlanOptions): Plan {
  if (plan.fits || options.bypassMemoryCheck !== true || plan.misfitReason !== 'ModelDoesNotFit') return plan;
  const { misfitReason: _ignored, ...rest } = plan;
  return { ...rest, fits: true, reasons: [...plan.reasons, 'memory check bypassed (kaito.sh/bypass-resource-checks): expect OOM at start-up'] };
}

export function hfTokenNote(model: PresetModel): string {
  return `${model.hfRepo} is gated: set a Hugging Face token (modelAccessSecret, key HF_TOKEN)`;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
