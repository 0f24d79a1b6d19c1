// @kaito-ts/core: one way for each small thing (see docs/development.md, "One way for each small thing").
export const CORE_PACKAGE = '@kaito-ts/core';
export {
  defineSettings,
  isSettingsError,
  parseDuration,
  parseSettings,
  SettingCodecs,
  settingLabel,
  settingsConflict,
  SettingsError,
  settingsHelp,
  type ParsedSettings,
  type ParseSettingsOptions,
  type SettingKind,
  type SettingSpec,
  type SettingsOf,
  type SettingsTable,
} from './settings.js';
