// hyparquet-writer (test fixtures) and hysnappy/fzstd (hyparquet-compressors' codecs) are ESM too.
const preset = require('../../jest.preset.cjs');
const esm = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'hyparquet', 'hyparquet-compressors', 'hyparquet-writer', 'hysnappy', 'fzstd', '@marcbachmann/cel-js'];

module.exports = {
  ...preset,
  displayName: 'tuning-runner',
  transformIgnorePatterns: [`/node_modules/(?!(${esm.join('|')})/)`],
  // Registry and trainer tests start real processes.
  testTimeout: 120000,
};
