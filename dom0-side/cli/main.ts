#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { processIo, qubesExitCode, runCommandTable, takeQubesExitFlag, type CliCommand } from '../../shared/cli/cli';

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
  { name: 'ls', summary: 'list qubes (qvm-ls)', load: () => import('./commands/ls-command') },
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
    summary: "a qube's firewall (QUBE list | add | del | set | reset, as qvm-firewall)",
    load: () => import('./commands/firewall-command'),
  },
  {
    name: 'firewall-parse',
    summary: 'validate and normalize firewall rule lines from stdin (offline)',
    load: async () => ({ run: (await import('./commands/firewall-command')).createFirewallParseCommand() }),
  },
  ...QNETD_COMMANDS,
  {
    name: 'sim',
    summary: 'simulated Qubes in network namespaces (up | down | status | exec | demo)',
    load: () => import('../../sim/sim-command'),
  },
];

/** package.json's version: found upward from this file (it runs from dist/ or from a bundle). */
export function qnetVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one level up
    }
  }
  return 'unknown';
}

if (require.main === module) {
  const io = processIo();
  const { argv, qubes } = takeQubesExitFlag(process.argv.slice(2), io.env);
  runCommandTable('qnet', COMMANDS, argv, io, qnetVersion()).then(
    (code) => (process.exitCode = qubes ? qubesExitCode(code) : code),
    (err: unknown) => {
      process.stderr.write(`qnet: INTERNAL: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
