// Rewrites the generated parts of docs/configuration.md from the code (see configuration.ts).
// Run: npm run gen:docs. A unit test fails when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONFIGURATION_DOC, configurationBlocks, withGeneratedBlocks } from './configuration.js';

const root = resolve(import.meta.dirname, '../../..');
const target = join(root, CONFIGURATION_DOC);
const before = readFileSync(target, 'utf8');
const after = withGeneratedBlocks(before, configurationBlocks(root));
if (after === before) {
  console.log(`${CONFIGURATION_DOC} is up to date`);
} else {
  writeFileSync(target, after);
  console.log(`wrote ${target}`);
}
