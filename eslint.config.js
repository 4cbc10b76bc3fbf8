import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'bench/.venv/**', '**/*.svelte'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The engine must never pull Electron in: it runs headless (CLI, server, workers).
      'no-restricted-imports': ['error', { paths: [] }],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/shared/**/*.ts', 'src/server/**/*.ts', 'src/cli/**/*.ts', 'src/service/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'the engine, contract and server never import Electron' }, { name: 'electron-store', message: 'settings reach the engine as plain values' }] }],
    },
  },
  {
    // dataSync()/arraySync() throw on the webgpu backend in Node (they need OffscreenCanvas), and on
    // a GPU they stall the queue: the engine reads tensors with data()/array(). A read that is
    // provably off the webgpu path carries an eslint-disable comment saying why.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name=/^(dataSync|arraySync)$/]", message: 'use the async read (await t.data() / t.array()): sync reads fail on the webgpu backend' },
      ],
    },
  },
);
