// ESLint (flat config): the ecosystem's recommended rules for JavaScript and TypeScript. Formatting is
// Prettier's (.prettierrc.json, 140 columns): eslint-config-prettier turns off the rules that would fight it.
// Run by `npm run lint` (a tier of `npm test`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'testFixture/**', 'media/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // `_`-prefixed parameters and destructured leftovers are deliberate.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Column-aligned CLI output is matched with the spaces it has; `{2}` would hide the alignment.
      'no-regex-spaces': 'off',
      // Prettier wraps code at 140 columns but not strings, templates or comments; this catches those. A regex literal is
      // exempt (split, it would be harder to read than long), and so is a URL.
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // A function longer than this says why beside it (`// eslint-disable-next-line max-lines-per-function -- why`).
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    // The command table loads each command lazily; under tsx (the sources) import() cannot load .ts, so it requires.
    files: ['src/cli/registry.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests poke at API JSON and load the fake vscode module by path at run time.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.cjs', '**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
