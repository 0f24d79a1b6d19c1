// The e2e package's own unit tests (its harness); the *.e2e.spec.ts files are the e2e tier (jest.e2e.config.cjs).
const preset = require('../jest.preset.cjs');
module.exports = { ...preset, displayName: 'e2e-harness', testPathIgnorePatterns: [...preset.testPathIgnorePatterns, '\\.e2e\\.spec\\.ts$'] };
