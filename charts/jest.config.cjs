module.exports = { ...require('../jest.preset.cjs'), displayName: 'charts', testTimeout: 120000 };
