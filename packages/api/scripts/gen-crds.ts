// Writes crds/workspaces.kaito.sh.yaml from the TypeScript schema (packages/api/src/crd).
// Run: npm run gen:crds. A unit test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderWorkspaceCrdYaml, WORKSPACE_CRD_FILE } from '../src/crd/render.js';

const target = resolve(import.meta.dirname, '../../../crds', WORKSPACE_CRD_FILE);
writeFileSync(target, renderWorkspaceCrdYaml());
console.log(`wrote ${target}`);
