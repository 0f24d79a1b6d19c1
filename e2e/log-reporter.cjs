// Keeps the process logs of an e2e run (KAITO_TS_E2E_LOGS, set by jest.e2e.config.cjs) when a
// test or suite failed, and says where they are; removes them when everything passed.
const fs = require('node:fs');

class E2eLogReporter {
  onRunComplete(_contexts, results) {
    const dir = process.env.KAITO_TS_E2E_LOGS;
    if (dir === undefined || !fs.existsSync(dir)) return;
    const failed = results.numFailedTests > 0 || results.numFailedTestSuites > 0 || results.numRuntimeErrorTestSuites > 0;
    if (failed) process.stderr.write(`[e2e] process logs kept in ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = E2eLogReporter;
