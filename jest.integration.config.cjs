// Integration tier: every *.int.spec.ts in the repo, against the real local control plane
// that tools/cluster starts (or reuses) in global setup. See docs/local-cluster.md.
const preset = require('./jest.preset.cjs');

module.exports = {
  ...preset,
  rootDir: __dirname,
  displayName: 'integration',
  testMatch: ['<rootDir>/{packages,apps,tools,e2e}/**/src/**/*.int.spec.ts', '<rootDir>/charts/src/**/*.int.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/tools/cluster/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/tools/cluster/src/jest/global-teardown.ts',
  // Each jest worker on a cluster of its own (KUBECONFIG set in the worker): see that file.
  testEnvironment: '<rootDir>/tools/cluster/src/testing/jest-environment.ts',
  testTimeout: 120000,
};
