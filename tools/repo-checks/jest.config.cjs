module.exports = { ...require('../../jest.preset.cjs'), displayName: 'repo-checks', testTimeout: 60000 };
