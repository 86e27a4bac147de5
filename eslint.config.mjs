// Layering is enforced here, in the manner of vscode's code-layering rule:
// contracts import nothing with I/O, planners touch no node: module, and the
// shared core never reaches into either side.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message, paths = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: patterns.map((group) => ({ group: [group], message })),
      paths: paths.map((name) => ({ name, message })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', '.build-*/**', 'node_modules/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-redeclare': 'off',
      'no-redeclare': 'off',
    },
  },
  {
    files: ['services/**/*.ts'],
    rules: restrict(
      [
        'node:*',
        '../shared/!(contract)/**',
        '../../shared/!(contract)/**',
        '**/policy/**',
        '**/vm-side/**',
        '**/dom0-side/**',
      ],
      'services/ holds contracts only: zod and shared/contract',
    ),
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict(
      ['**/policy/**', '**/vm-side/**', '**/dom0-side/**', '**/sim/**'],
      'shared/ is the core: it imports no side',
    ),
  },
  {
    // What runs on a real system never depends on the simulator; only the CLI's
    // `qnet sim` entry loads it, lazily.
    files: ['policy/**/*.ts', 'vm-side/**/*.ts', 'dom0-side/**/*.ts'],
    ignores: ['dom0-side/cli/main.ts'],
    rules: restrict(['**/sim/**'], 'the simulator lives in sim/: real-system code does not import it'),
  },
  {
    files: ['**/planners/**/*.ts', 'dom0-side/address-plan/**/*.ts', 'dom0-side/ipv6/**/*.ts'],
    ignores: ['test/**'],
    rules: restrict(['node:*'], 'planners are pure: no I/O', ['fs', 'child_process', 'net', 'dgram', 'dns']),
  },
);
