module.exports = { ...require('../../jest.preset.cjs'), displayName: 'gpu-provisioner' };
