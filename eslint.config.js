// Lint rules for Sotto. Beyond the recommended sets, the rules below keep the
// architecture honest: crypto stays pure and deterministic, and nothing in src/
// reads the wall clock or Math.random behind the injected clock and RNG.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Inject a clock ({ now }) instead.' },
        { object: 'Math', property: 'random', message: 'Inject randomBytes instead.' },
      ],
      'no-console': 'error',
    },
  },
  {
    // The command line is the edge: it prints, and it creates the real clock it injects.
    files: ['src/app/cli/**/*.ts'],
    rules: {
      'no-console': 'off',
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Inject randomBytes instead.' }],
    },
  },
  {
    // The browser app runs in a page; its entry is the edge that creates the clock.
    files: ['src/app/web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/app/web/main.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Inject randomBytes instead.' }] },
  },
  // src/node is a stack of rooms; a room imports only the rooms below it
  // (docs/ARCHITECTURE.md, "The node's rooms"). constants.ts and errors.ts
  // sit under every room.
  ...Object.entries({
    encoding: [],
    contacts: ['encoding'],
    transport: ['encoding'],
    store: ['encoding'],
    backup: ['encoding', 'contacts', 'store'],
    core: ['encoding', 'transport', 'store'],
    bundles: ['encoding', 'transport', 'store', 'core'],
    mailbox: ['encoding', 'transport', 'store', 'core'],
    messaging: ['encoding', 'contacts', 'transport', 'store', 'core', 'bundles', 'mailbox'],
    groups: ['encoding', 'contacts', 'transport', 'store', 'core', 'bundles', 'mailbox', 'messaging'],
    files: ['encoding', 'contacts', 'transport', 'store', 'core', 'bundles', 'mailbox', 'messaging', 'groups'],
  }).map(([room, below], _i, rooms) => ({
    files: [`src/node/${room}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: rooms
          .map(([other]) => other)
          .filter((other) => other !== room && !below.includes(other))
          .map((other) => ({ group: [`../${other}/*`, `**/node/${other}/*`], message: `src/node/${room} sits below ${other}: it never imports it.` })),
      }],
    },
  })),
  {
    files: ['src/crypto/**/*.ts'],
    ignores: ['src/crypto/primitives/node.ts', 'src/crypto/primitives/sodium.ts', 'src/crypto/primitives/node-best.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'crypto', 'os', 'sodium-native'], message: 'src/crypto is pure and runs in browsers: no Node built-ins (only primitives/node.ts, sodium.ts and node-best.ts).' },
          { group: ['libp2p', '@libp2p/*', 'level', 'classic-level', 'browser-level', '**/node/**', '**/app/**'], message: 'src/crypto never imports the network, storage or app layers.' },
        ],
      }],
    },
  },
);
