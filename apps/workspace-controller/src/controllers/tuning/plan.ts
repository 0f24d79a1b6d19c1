/**
 * The tuning plan of a Workspace: its preset tuned with its method on its instance type, through
 * `@kaito-ts/presets` (the same planner as inference, in tuning mode: one node, every GPU of it),
 * or the reason it cannot be: `TuningNotSupported` (the preset or the method), `ModelDoesNotFit`
 * (with the planner's memory breakdown), `PresetNotFound`, `InstanceTypeNotFound`, `InvalidSpec`.
 */
import { Reason, type Workspace } from '@kaito-ts/api';
import { getModel, plan, UnknownModelError, UnknownSkuError, type Plan, type PresetModel } from '@kaito-ts/presets';

export type ResolvedTuningPlan =
  | { readonly ok: true; readonly plan: Plan; readonly model: PresetModel }
  | { readonly ok: false; readonly reason: Reason; readonly message: string };

const fail = (reason: Reason, message: string): ResolvedTuningPlan => ({ ok: false, reason, message });

export function resolveTuningPlan(ws: Workspace): ResolvedTuningPlan {
  const tuning = ws.tuning;
  if (tuning === undefined) return fail(Reason.InvalidSpec, 'tuning is not set');
  const instanceType = ws.resource.instanceType;
  if (instanceType === undefined || instanceType === '') {
    return fail(Reason.InvalidSpec, 'resource.instanceType is not set: tuning needs a catalog GPU instance type to size the Job (e.g. Standard_NC6s_v3)');
  }
  let model: PresetModel;
  let p: Plan;
  try {
    model = getModel(tuning.preset.name);
    p = plan(model, instanceType, 'vllm', { mode: 'tuning', tuningMethod: tuning.method });
  } catch (err) {
    if (err instanceof UnknownModelError) return fail(Reason.PresetNotFound, `tuning.preset.name: ${err.message}`);
    if (err instanceof UnknownSkuError) return fail(Reason.InstanceTypeNotFound, `resource.instanceType: ${err.message}`);
    throw err;
  }
  if (!p.fits) {
    const reason = p.misfitReason === 'TuningNotSupported' ? Reason.TuningNotSupported : Reason.ModelDoesNotFit;
    return fail(reason, `${tuning.method} tuning of ${tuning.preset.name} on ${instanceType}: ${p.reasons[0] ?? 'does not fit'}`);
  }
  return { ok: true, plan: p, model };
}
