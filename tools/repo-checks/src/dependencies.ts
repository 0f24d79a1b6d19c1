import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Runtime dependencies only where they run: a project's shipped code (src/, without specs and
 * without src/testing/, which only tests import) may load at run time only packages listed in its
 * `dependencies`; every package in `dependencies` must be loaded by shipped code. Type-only
 * imports are erased by the compiler, so they may name dev dependencies.
 *
 * "Loaded at run time" is read from what the compiler emits (ts.transpileModule drops imports
 * whose bindings are used only as types), not from the source text, so `import { V1Pod }` used
 * only in a type position counts as type-only, exactly as in the built output.
 */
export interface DependencyViolation {
  project: string;
  kind: 'dev-only-import' | 'undeclared-import' | 'unused-dependency' | 'unpinned-version';
  dependency: string;
  file?: string;
}

export interface ProjectManifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** `fp-ts/lib/Either.js` → `fp-ts`; `@scope/pkg/sub` → `@scope/pkg`; relative or builtin → undefined. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || BUILTINS.has(specifier) || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages a TypeScript module loads at run time (static, re-export, dynamic import, require). */
export function runtimeImports(source: string, fileName = 'module.ts'): string[] {
  const js = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
  const file = ts.createSourceFile('out.js', js, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const found = new Set<string>();
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.add(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg)) found.add(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return [...found];
}

/** Shipped source files: src/**.ts without specs and without src/testing/. */
export function shippedFiles(projectDir: string): string[] {
  const src = join(projectDir, 'src');
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (entry === 'testing' && dir === src) continue;
        if (entry === 'node_modules' || entry === 'dist') continue;
        walk(path);
      } else if (/\.m?ts$/.test(entry) && !/\.spec\.ts$/.test(entry) && !entry.endsWith('.d.ts')) {
        out.push(path);
      }
    }
  };
  if (existsSync(src)) walk(src);
  return out.sort();
}

/** Checks one project; `files` maps a path (for messages) to its source text. */
export function checkProject(manifest: ProjectManifest, files: ReadonlyMap<string, string>): DependencyViolation[] {
  const deps = manifest.dependencies ?? {};
  const dev = manifest.devDependencies ?? {};
  const project = manifest.name;
  const violations: DependencyViolation[] = [];
  const used = new Set<string>();
  for (const [file, text] of files) {
    for (const specifier of runtimeImports(text, file)) {
      const pkg = packageOf(specifier);
      if (pkg === undefined || pkg === project) continue;
      used.add(pkg);
      if (pkg in deps) continue;
      violations.push({ project, kind: pkg in dev ? 'dev-only-import' : 'undeclared-import', dependency: pkg, file });
    }
  }
  for (const [dep, version] of Object.entries({ ...deps, ...dev })) {
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) violations.push({ project, kind: 'unpinned-version', dependency: `${dep}@${version}` });
  }
  for (const dep of Object.keys(deps)) {
    if (!used.has(dep)) violations.push({ project, kind: 'unused-dependency', dependency: dep });
  }
  return violations;
}

/** Checks a project folder on disk. */
export function checkProjectDir(root: string, dir: string): DependencyViolation[] {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as ProjectManifest;
  const files = new Map(shippedFiles(join(root, dir)).map((f) => [relative(root, f), readFileSync(f, 'utf8')]));
  return checkProject(manifest, files);
}

export function describeViolation(v: DependencyViolation): string {
  const where = v.file ? ` (${v.file})` : '';
  switch (v.kind) {
    case 'dev-only-import':
      return `${v.project}: shipped code imports ${v.dependency}${where}, which is only a devDependency; move it to dependencies, or keep the import in src/testing/ or a spec`;
    case 'undeclared-import':
      return `${v.project}: shipped code imports ${v.dependency}${where}, which package.json does not declare; add it to dependencies with an exact version`;
    case 'unused-dependency':
      return `${v.project}: dependency ${v.dependency} is not loaded by shipped code; remove it or move it to devDependencies`;
    case 'unpinned-version':
      return `${v.project}: ${v.dependency} is not pinned to an exact version`;
  }
}
