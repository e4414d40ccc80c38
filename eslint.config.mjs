import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './eslint/workspace-boundaries.cjs';

const { workspaceBoundariesPlugin } = boundaries;

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'coverage/**', '.trx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // Imports follow the dependencies each workspace's package.json declares (eslint/workspace-boundaries.cjs).
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    plugins: { trx: workspaceBoundariesPlugin(import.meta.dirname) },
    rules: { 'trx/workspace-boundaries': 'error' },
  },
  {
    // The console's page script runs in the browser as it is checked in (no build step).
    files: ['apps/*/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'sessionStorage',
          'fetch',
          'URLSearchParams',
          'FormData',
          'setInterval',
          'clearInterval',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['jest.config.ts', 'jest.global-*.ts', 'eslint.config.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The lint rule is CommonJS so that jest loads it too.
    files: ['eslint/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Jest loads its global setup before its module mapper exists, and test-support's index
    // leaves out the containers module (it would load testcontainers into every test).
    files: ['jest.global-*.ts'],
    rules: { 'trx/workspace-boundaries': 'off' },
  },
);
