import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'dist/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use union types.' }],
    },
  },
  {
    // Build scripts and bench workers are plain Node modules.
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setTimeout: 'readonly' } },
  },
  {
    // Architecture import rules (ARCHITECTURE.md): analytics is pure, events depends only on platform.
    files: ['src/analytics/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/platform/**', '**/events/**', '**/api/**', '**/projections/**', '**/processors/**', '**/commands/**', 'fastify', 'knex', 'pg'] }] },
  },
  {
    files: ['src/events/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/api/**', '**/projections/**', '**/processors/**', '**/commands/**', '**/analytics/**'] }] },
  },
  {
    files: ['src/projections/**/*.ts', 'src/commands/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/api/**', '**/processors/**'] }] },
  },
  {
    files: ['src/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/events/**', '**/api/**', '**/projections/**', '**/processors/**', '**/commands/**', '**/analytics/**'] }] },
  },
);
