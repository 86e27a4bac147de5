#!/usr/bin/env node
import 'reflect-metadata';
import { processIo, runCommandTable, type CliCommand } from '../../shared/cli/cli';

/** The `qnet` command table. Each entry loads its module only when used. */
const COMMANDS: readonly CliCommand[] = [
  {
    name: 'policy',
    summary: 'evaluate, check and serve qrexec policy (eval | check | serve)',
    load: () => import('../../policy/cli/policy-command'),
  },
  {
    name: 'firewall',
    summary: 'firewall rules (parse: validate and normalize rule lines)',
    load: () => import('./commands/firewall-command'),
  },
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
