module.exports = { ...require('../../jest.preset.cjs'), displayName: 'presets-cli' };
