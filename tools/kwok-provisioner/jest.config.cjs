module.exports = { ...require('../../jest.preset.cjs'), displayName: 'kwok-provisioner' };
