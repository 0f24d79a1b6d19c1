import { checkProject, checkProjectDir, describeViolation, packageOf, runtimeImports } from './dependencies.js';
import { listProjects, repoRoot } from './index.js';

const root = repoRoot();
const manifest = (deps: Record<string, string>, dev: Record<string, string> = {}) => ({ name: '@kaito-ts/planted', dependencies: deps, devDependencies: dev });

describe('runtime dependencies', () => {
  it.each(listProjects(root).map((p) => [p.dir]))('%s ships only declared runtime dependencies and declares no unused one', (dir) => {
    expect(checkProjectDir(root, dir).map(describeViolation)).toEqual([]);
  });

  it('fails a planted value import of a dev-only dependency, naming the file', () => {
    const files = new Map([['src/planted.ts', "import Ajv from 'ajv';\nexport const v = new Ajv();\n"]]);
    expect(checkProject(manifest({}, { ajv: '8.20.0' }), files)).toEqual([
      { project: '@kaito-ts/planted', kind: 'dev-only-import', dependency: 'ajv', file: 'src/planted.ts' },
    ]);
  });

  it('fails a planted runtime dependency that shipped code never loads', () => {
    const files = new Map([['src/planted.ts', 'export const x = 1;\n']]);
    expect(checkProject(manifest({ yaml: '2.9.1' }), files).map((v) => v.kind)).toEqual(['unused-dependency']);
  });

  it('fails an import that package.json does not declare at all', () => {
    const files = new Map([['src/planted.ts', "export { parse } from 'yaml';\n"]]);
    expect(checkProject(manifest({}), files).map((v) => v.kind)).toEqual(['undeclared-import']);
  });

  it('fails a range instead of an exact pin', () => {
    const files = new Map([['src/planted.ts', "import { parse } from 'yaml';\nexport const p = parse;\n"]]);
    expect(checkProject(manifest({ yaml: '*' }), files).map(describeViolation)).toEqual(['@kaito-ts/planted: yaml@* is not pinned to an exact version']);
  });

  it('lets a type-only use of a dev dependency pass, as the compiler erases it', () => {
    const files = new Map([
      ['src/a.ts', "import type { V1Pod } from '@kubernetes/client-node';\nexport type P = V1Pod;\n"],
      ['src/b.ts', "import { V1Container } from '@kubernetes/client-node';\nexport function f(c: V1Container): string { return c.name; }\n"],
    ]);
    expect(checkProject(manifest({}, { '@kubernetes/client-node': '1.4.0' }), files)).toEqual([]);
  });

  it('reads re-exports, dynamic imports, require and subpaths', () => {
    const text = "export * from 'a';\nconst b = await import('b');\nconst c = require('@s/c/sub');\nimport { isLeft } from 'fp-ts/lib/Either.js';\nexport { b, c, isLeft };\n";
    expect(runtimeImports(text).map(packageOf).sort()).toEqual(['@s/c', 'a', 'b', 'fp-ts']);
  });

  it('ignores relative imports and node builtins', () => {
    expect(runtimeImports("import { x } from './x.js';\nimport fs from 'node:fs';\nimport os from 'os';\nexport { x, fs, os };\n").map(packageOf)).toEqual([undefined, undefined, undefined]);
  });
});
