import nx from '@nx/eslint-plugin';

/**
 * Module boundaries (DESIGN.md "Layout"):
 * - type:app may import any lib, never another app.
 * - type:util libs (config, errors, observability, frame-codec) import only other utils.
 * - type:domain (pipeline: contracts, aggregator, runner) imports utils.
 * - type:feature / type:data-access libs implement the contracts and ports; they import domain
 *   and utils, never each other, so only an app composes them.
 * - type:service libs (jobs: the worker loop; http-api: the HTTP API) run components they are
 *   given: they import domain, data-access (ports) and utils, never a feature lib.
 * - scope:* decides which component an app may compose: only scope:cli and scope:monolith reach
 *   every component.
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.nx', '**/*.cjs', '**/*.mjs', 'bin/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          // Libraries are consumed as source through the path aliases and bundled into each app;
          // none is built or published on its own, so "buildable lib" ordering does not apply
          // (tools/fixtures has a build target only for its own CLI bundle).
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:service', 'type:domain', 'type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:service', 'type:domain', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:service', 'type:domain', 'type:feature', 'type:data-access', 'type:util', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:service', 'type:domain', 'type:feature', 'type:data-access', 'type:util', 'type:tool'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:media-converter', onlyDependOnLibsWithTags: ['scope:shared', 'scope:media-converter'] },
            { sourceTag: 'scope:detector', onlyDependOnLibsWithTags: ['scope:shared', 'scope:detector'] },
            { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'] },
            { sourceTag: 'scope:aggregator', onlyDependOnLibsWithTags: ['scope:shared', 'scope:aggregator'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:media-converter', 'scope:detector', 'scope:api', 'scope:tools'] },
            { sourceTag: 'scope:monolith', onlyDependOnLibsWithTags: ['scope:shared', 'scope:media-converter', 'scope:detector', 'scope:api'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared', 'scope:media-converter', 'scope:detector', 'scope:api', 'scope:tools'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration through @framewatch/config only.' },
        { selector: 'ExportAllDeclaration', message: 'List named exports explicitly.' },
        { selector: 'ExportDefaultDeclaration', message: 'No default exports.' },
      ],
    },
  },
  {
    files: ['libs/config/src/**/*.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'List named exports explicitly.' },
        { selector: 'ExportDefaultDeclaration', message: 'No default exports.' },
      ],
    },
  },
];
