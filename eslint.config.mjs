// Lint rules for every project. The module-boundary rule enforces the layering in
// docs/development.md (Project conventions): apps may use libs; libs never import apps; scopes only reach `shared` or themselves.
import nx from '@nx/eslint-plugin';

export const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:testing', 'type:tool'] },
  // The docs generator (tools/docs) reads every process's settings table to write
  // docs/configuration.md; it ships nothing, and no constraint lets any project import it.
  { sourceTag: 'type:docs', onlyDependOnLibsWithTags: ['type:app', 'type:lib', 'type:testing', 'type:tool'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:workspace', onlyDependOnLibsWithTags: ['scope:workspace', 'scope:shared'] },
  { sourceTag: 'scope:provisioner', onlyDependOnLibsWithTags: ['scope:provisioner', 'scope:shared'] },
  { sourceTag: 'scope:tuning', onlyDependOnLibsWithTags: ['scope:tuning', 'scope:shared'] },
  { sourceTag: 'scope:docs', onlyDependOnLibsWithTags: ['scope:workspace', 'scope:provisioner', 'scope:tuning', 'scope:shared'] },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.nx', '**/*.cjs', '**/*.mjs', 'tools/lint-fixtures/**'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints,
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Tests (not shipped code) may use test-only projects and the local-cluster harness.
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: depConstraints.map((c) =>
            c.sourceTag.startsWith('type:') ? { ...c, onlyDependOnLibsWithTags: [...new Set([...c.onlyDependOnLibsWithTags, 'type:testing', 'type:tool'])] } : c,
          ),
        },
      ],
    },
  },
];
