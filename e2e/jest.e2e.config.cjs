// E2E tier: every e2e/src/**/*.e2e.spec.ts, with the controllers and provisioners as separate
// processes against the local control plane that tools/cluster's jest global setup starts (or
// reuses) and stops, as the integration tier's does. Run it on its own cluster name:
//   KAITO_TS_CLUSTER=kaito-ts-e2e npx jest -c e2e/jest.e2e.config.cjs --runInBand
// Process logs go to test-results/e2e-logs/<run>/; the reporter below keeps them when a test failed.
const path = require('node:path');
const preset = require('../jest.preset.cjs');

const root = path.join(__dirname, '..');
process.env.KAITO_TS_E2E_LOGS ??= path.join(root, 'test-results', 'e2e-logs', new Date().toISOString().replace(/[:.]/g, '-'));

module.exports = {
  ...preset,
  rootDir: root,
  displayName: 'e2e',
  testMatch: ['<rootDir>/e2e/src/**/*.e2e.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/tools/cluster/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/tools/cluster/src/jest/global-teardown.ts',
  // Each jest worker on a cluster of its own (KUBECONFIG set in the worker): see that file.
  testEnvironment: '<rootDir>/tools/cluster/src/testing/jest-environment.ts',
  reporters: ['default', '<rootDir>/e2e/log-reporter.cjs'],
  testTimeout: 180000,
};
