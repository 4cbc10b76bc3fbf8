import tseslint from 'typescript-eslint';

/*
 * Imports run one way (docs/ARCHITECTURE.md, "Rooms"):
 *   renderer, preload -> shared;   main, server, cli -> service -> engine -> shared.
 * Each room below lists what it may not import; the patterns match the import
 * text (relative paths), which is how every import in src/ is written.
 */
const room = (...names) => `^(\\.\\./)+(${names.join('|')})/`;
const electron = [
  { name: 'electron', message: 'only src/main and src/preload talk to Electron; the engine, contract, service, server and CLI run headless' },
  { name: 'electron-store', message: 'settings reach the engine as plain values' },
];
const restrict = (message, regex, extra = {}) => ({
  'no-restricted-imports': ['error', { paths: extra.paths ?? electron, patterns: [{ regex, message }, ...(extra.patterns ?? [])] }],
});
const noNode = { group: ['node:*'], message: 'runs in the browser or any process: no Node built-ins' };

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'bench/.venv/**', '**/*.svelte'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: restrict('src/shared is the contract: it imports only zod and other files of src/shared', '^\\.\\./', { patterns: [noNode] }),
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: restrict('the engine is pure compute under the service: it imports only engine and shared code', room('service', 'server', 'cli', 'main', 'preload', 'renderer')),
  },
  {
    files: ['src/service/**/*.ts'],
    rules: restrict('the service implements the API for every transport: it imports only engine and shared code', room('server', 'cli', 'main', 'preload', 'renderer')),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: restrict('the server is one transport of the API: it imports service, engine and shared code', room('cli', 'main', 'preload', 'renderer')),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: restrict('the CLI sits beside the transports: it imports server, service, engine and shared code', room('main', 'preload', 'renderer')),
  },
  {
    files: ['src/main/**/*.ts'],
    rules: restrict('Electron main is a transport: it imports service, engine and shared code', room('server', 'cli', 'preload', 'renderer'), { paths: [] }),
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: restrict('the preload script exposes the typed API: it imports only src/shared', room('engine', 'service', 'server', 'cli', 'main', 'renderer'), { paths: [] }),
  },
  {
    files: ['src/renderer/**/*.ts'],
    rules: restrict('the renderer reaches the engine only through the API: it imports only src/shared and its own files', room('engine', 'service', 'server', 'cli', 'main', 'preload'), { patterns: [noNode] }),
  },
);
