/**
 * Per-preset tuning defaults the runner layers under the user's ConfigMap. Kaito sets only one
 * (phi-3's target modules, via DEFAULT_TARGET_MODULES); everything else falls back to PEFT's
 * per-architecture defaults. HF's native Phi3 fuses q/k/v and gate/up, so the fused names are
 * the ones that match (Kaito's unfused list matches only o_proj and down_proj).
 */
export interface PresetTuningDefaults {
  readonly targetModules?: readonly string[];
}

const PHI3 = { targetModules: ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'] } as const;

export const PRESET_TUNING_DEFAULTS: Readonly<Record<string, PresetTuningDefaults>> = {
  'phi-3-mini-4k-instruct': PHI3,
  'phi-3-mini-128k-instruct': PHI3,
  'phi-3-medium-4k-instruct': PHI3,
  'phi-3-medium-128k-instruct': PHI3,
  'phi-3.5-mini-instruct': PHI3,
};

export function presetDefaults(preset: string | undefined): PresetTuningDefaults {
  return (preset && PRESET_TUNING_DEFAULTS[preset]) || {};
}
