// Shared jest settings. Every project's jest.config.cjs spreads this.
// - @swc/jest compiles TypeScript and the ESM-only @kubernetes/client-node (and its ESM deps) to CommonJS.
// - `@kaito-ts/<name>` resolves to the project's TypeScript source, so tests need no prior build.
// - Relative imports written with `.js` (nodenext style) resolve to the `.ts` file.
const fs = require('node:fs');
const path = require('node:path');

const root = __dirname;
const esm = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'hyparquet', 'hyparquet-compressors', 'hyparquet-writer', 'hysnappy', 'fzstd', '@marcbachmann/cel-js'];

function workspaceMappers() {
  // Map each workspace package *by its package.json name* to its TypeScript source.
  const mappers = {};
  for (const dir of ['packages', 'apps', 'tools']) {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) continue;
    for (const entry of fs.readdirSync(base)) {
      const manifest = path.join(base, entry, 'package.json');
      const src = path.join(base, entry, 'src');
      if (!fs.existsSync(manifest) || !fs.existsSync(path.join(src, 'index.ts'))) continue;
      const name = JSON.parse(fs.readFileSync(manifest, 'utf8')).name.replace(/[/.]/g, (c) => `\\${c}`);
      mappers[`^${name}$`] = path.join(src, 'index.ts');
      mappers[`^${name}/testing$`] = path.join(src, 'testing', 'index.ts');
    }
  }
  return mappers;
}

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  // A hang guard, not a speed check (speed lives in tools/bench): a loaded 2-core CI machine can
  // take several seconds for tests that start servers or child processes. Used when one project
  // runs on its own; the all-projects run (jest.config.cjs) sets its own, as jest requires.
  testTimeout: 60_000,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.int\\.spec\\.ts$'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esm.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    ...workspaceMappers(),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
