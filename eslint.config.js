// The layers point one way (STYLE.md): the engine never reaches Electron or the UI, the UI never
// reaches Node, Electron or the engine's code (types only), and the one contract sits between them.
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'crypto', 'dns', 'events', 'fs', 'fs/promises', 'http', 'https', 'net',
  'os', 'path', 'process', 'readline', 'stream', 'string_decoder', 'tls', 'url', 'util', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'release/**', 'test-output/**', 'bench/work/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    languageOptions: { parser: tseslint.parser },
    // Registered so inline directives naming its rules resolve; the rules enforced are below.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The engine runs in plain Node (tests, CLI, server): no Electron below electron/core.' }],
          patterns: [
            { group: ['**/renderer/**'], message: 'The engine knows nothing of the UI.' },
            { group: ['**/app/**', '../../app/*', '**/api/**'], message: 'The engine does not depend on the console layers above it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The contract is shared with the renderer: no Electron here.' }],
          patterns: [{ group: ['node:*'], message: 'The contract is shared with the renderer: no Node here.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to the api/ contract only.' },
            ...NODE_BUILTINS.map((name) => ({ name, message: 'The renderer runs in a sandboxed page: no Node.' })),
            { name: 'ssh2', message: 'The renderer talks to the api/ contract only.' },
            { name: 'mysql2', message: 'The renderer talks to the api/ contract only.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a sandboxed page: no Node.' },
            { group: ['**/electron/core/**', '!**/electron/core/**/*types', '!**/electron/core/audit/events', '!**/electron/core/runbook/model'], message: 'The renderer uses the engine through the api/ contract (types only).' },
            { group: ['**/electron/app/**', '**/electron/main', '**/electron/server', '**/electron/preload'], message: 'The renderer uses the api/ contract, not the adapters.' },
          ],
        },
      ],
    },
  },
);
