module.exports = { ...require('../../jest.preset.cjs'), displayName: 'arm-simulator' };
