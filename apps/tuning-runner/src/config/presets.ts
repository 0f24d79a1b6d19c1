import { findModel } from '@kaito-ts/presets';

/**
 * Per-preset tuning defaults the runner layers under the user's ConfigMap, read from the preset
 * catalog (`@kaito-ts/presets`). Kaito sets only one (phi-3's target modules, via
 * DEFAULT_TARGET_MODULES); everything else falls back to PEFT's per-architecture defaults.
 */
export interface PresetTuningDefaults {
  readonly targetModules?: readonly string[];
}

export function presetDefaults(preset: string | undefined): PresetTuningDefaults {
  const targetModules = preset ? findModel(preset)?.tuning?.targetModules : undefined;
  return targetModules ? { targetModules } : {};
}
