// @kaito-ts/core: one way for each small thing (see docs/development.md, "One way for each small thing").
export * from './decode.js';
export * from './errors.js';
export * from './meta.js';
export { mainExitCode, runMain, type MainIo, type MainSpec } from './main.js';
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
