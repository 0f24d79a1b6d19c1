// All unit tests of every project in one jest run (the `npm run test:unit` entry).
const fs = require('node:fs');
const path = require('node:path');

const projects = [];
for (const dir of ['packages', 'apps', 'tools']) {
  const base = path.join(__dirname, dir);
  if (!fs.existsSync(base)) continue;
  for (const name of fs.readdirSync(base)) {
    const cfg = path.join(base, name, 'jest.config.cjs');
    if (fs.existsSync(cfg)) projects.push(path.join(base, name));
  }
}
// The e2e package's own unit tests (its harness); its *.e2e.spec.ts files are the e2e tier.
if (fs.existsSync(path.join(__dirname, 'e2e', 'jest.config.cjs'))) projects.push(path.join(__dirname, 'e2e'));
// The charts' tests are one project at the top of charts/ (the charts themselves are its folders).
if (fs.existsSync(path.join(__dirname, 'charts', 'jest.config.cjs'))) projects.push(path.join(__dirname, 'charts'));
// testTimeout is a global option: in this multi-project run the projects' own values do not
// apply. A hang guard only (speed lives in tools/bench); a loaded CI machine is slow.
module.exports = { projects, testTimeout: 60_000 };
