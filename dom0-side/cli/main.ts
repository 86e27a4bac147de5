#!/usr/bin/env node
import 'reflect-metadata';
import { processIo, runCommandTable, type CliCommand } from '../../shared/cli/cli';

/** Commands served by qnetd through the SDK; each module loads only when used. */
const QNETD_COMMANDS: readonly CliCommand[] = [
  {
    name: 'create',
    summary: 'create a qube in the embedded store (qvm-create)',
    load: async () => ({ run: (await import('./commands/qube-commands')).runCreate }),
  },
  {
    name: 'remove',
    summary: 'remove a qube from the embedded store (qvm-remove)',
    load: async () => ({ run: (await import('./commands/qube-commands')).runRemove }),
  },
  {
    name: 'start',
    summary: 'record that a qube runs (its vif exists); pushes what changes',
    load: async () => ({ run: (await import('./commands/qube-commands')).runStart }),
  },
  {
    name: 'shutdown',
    summary: 'record that a qube stopped; pushes what changes',
    load: async () => ({ run: (await import('./commands/qube-commands')).runShutdown }),
  },
  { name: 'ls', summary: 'list qubes', load: async () => ({ run: (await import('./commands/qube-commands')).runLs }) },
  {
    name: 'prefs',
    summary: 'show or set qube properties (netvm live)',
    load: () => import('./commands/prefs-command'),
  },
  {
    name: 'features',
    summary: 'show, set or delete qube features (ipv6 live)',
    load: () => import('./commands/features-command'),
  },
  {
    name: 'status',
    summary: 'desired against applied generation per qube, and why anything is behind',
    load: () => import('./commands/status-command'),
  },
  { name: 'push', summary: 'push the current documents again and wait', load: () => import('./commands/push-command') },
];

/** The `qnet` command table. Each entry loads its module only when used. */
const COMMANDS: readonly CliCommand[] = [
  {
    name: 'policy',
    summary: 'evaluate, check and serve qrexec policy (eval | check | serve)',
    load: () => import('../../policy/cli/policy-command'),
  },
  {
    name: 'firewall',
    summary: "a qube's firewall (QUBE list | add | del | set | reset, as qvm-firewall), or parse rule lines",
    load: () => import('./commands/firewall-command'),
  },
  ...QNETD_COMMANDS,
  {
    name: 'sim',
    summary: 'simulated Qubes in network namespaces (up | down | status | exec | demo)',
    load: () => import('../sim/sim-command'),
  },
];

if (require.main === module) {
  runCommandTable('qnet', COMMANDS, process.argv.slice(2), processIo()).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`qnet: INTERNAL: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
