module.exports = { ...require('../../jest.preset.cjs'), displayName: 'controller-runtime' };
