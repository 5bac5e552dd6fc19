// Lint for the whole repository (`npm run lint` runs prettier's check first, then this with zero warnings).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/', 'dist/', '**/node_modules/', 'bench/scale/out/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // Leaving a key out of a copy is `const { key: _key, ...rest } = object`.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // A @ts-ignore must say why a @ts-expect-error would not do.
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': 'allow-with-description' }],
    },
  },
  {
    // The single-file build's prologue and epilogue are scripts: tsc concatenates them with the modules.
    files: ['src/bundle/prologue.ts', 'src/bundle/epilogue.ts'],
    languageOptions: { sourceType: 'script' },
  },
  {
    // The single-file build's module loader: calling Node's require is what it is for.
    files: ['src/bundle/prologue.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // bench/ and the bundle's loader: CommonJS scripts run by Node.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { 'no-unused-vars': ['error', { ignoreRestSiblings: true }] },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
);
