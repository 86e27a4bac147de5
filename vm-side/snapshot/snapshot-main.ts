/**
 * Entry of the agent's V8 startup snapshot. The snapshot holds every module
 * already loaded and every schema already built, so the executable form
 * (one process per qrexec call) starts about as fast as bare node:
 *   node --snapshot-blob qnet-agent.blob service qubes.NetConfig
 * Nothing here may open a handle at build time: the container, the logger and
 * every socket are made in the deserialized main function, at run time.
 */
import 'reflect-metadata';
import { startupSnapshot } from 'node:v8';
import { processIo, runCommandTable } from '../../shared/cli/cli';
import { agentCommands } from '../main';

startupSnapshot.setDeserializeMainFunction(() => {
  // From a snapshot, argv is [node, ...arguments]: there is no script path.
  runCommandTable('qnet-agent', agentCommands(), process.argv.slice(1), processIo()).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`qnet-agent: INTERNAL: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
});
