// @kaito-ts/core: one way for each small thing (see docs/development.md, "One way for each small thing").
export const CORE_PACKAGE = '@kaito-ts/core';
