// `npm run lint`: type-aware checks over the whole tree, plus the rules that keep workflow code deterministic. The
// replay test proves recorded histories still replay; these rules catch what no test sees, such as a Node builtin or
// a database driver pulled into the workflow bundle.
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Modules that do I/O or carry their own clock: none belongs in the workflow sandbox. */
const NOT_IN_WORKFLOWS = ['pg', 'openai', 'express', 'undici', 'zod', 'pino', 'prom-client', '@temporalio/client'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'bench/results/', 'test/fixtures/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() and describe() are awaited by the runner itself.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Test helpers parse JSON answers whose shape each test asserts.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'bench/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NOT_IN_WORKFLOWS.map((name) => ({
              name,
              message: 'Workflows are deterministic: I/O belongs in an activity.',
            })),
            ...builtinModules.map((name) => ({ name, message: 'Node builtins do not exist in the workflow sandbox.' })),
          ],
          patterns: [
            {
              group: ['node:*'],
              message: 'Node builtins do not exist in the workflow sandbox: do this in an activity.',
            },
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Workflows call activities through proxyActivities; import their types only.',
            },
            { group: ['**/src/db/*', '**/src/api/*', '**/src/services/*'], message: 'Workflows are deterministic.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Use workflowNow() from workflows/runtime.ts: the one place that relies on the replay-safe clock.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use workflowRandom() from workflows/runtime.ts: the one place that relies on the replay-safe PRNG.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Use workflowNow() from workflows/runtime.ts: the one place that relies on the replay-safe clock.',
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'performance', 'crypto', 'setImmediate', 'Buffer', 'require', 'fetch'].map((name) => ({
          name,
          message: `${name} is not deterministic (or not there) in the workflow sandbox.`,
        })),
      ],
    },
  },
  {
    files: ['workflows/runtime.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Activities never depend on workflow code; the API and services neither on workflows nor on activities.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows', '**/workflows/*'],
              message: 'Shared definitions live in src/domain or src/temporal/contracts.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/api/**/*.ts', 'src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows', '**/workflows/*', '**/activities', '**/activities/*'],
              message: 'Shared definitions live in src/domain or src/temporal/contracts.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The app-owner portal runs in the browser: the project service types it with portal/tsconfig.json (DOM libs,
    // JSX), the nearest tsconfig to its files, and these are the browser's globals.
    files: ['portal/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
  },
);
