import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { runExecutableService } from '../../shared/runtime/service-commands';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent service SERVICE [--state-dir DIR] [--run-dir DIR]

The executable form of a qrexec service (the fallback when the agent socket
is not there): reads the QREXEC_* environment and the request on stdin,
writes the response envelope to stdout, exits 0 or with the error's code.`;

export async function runServiceCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, PATH_FLAGS);
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one SERVICE');
  const config = root.config(io.env, pathOverrides(values));
  const container = root.build(config, io.env);
  try {
    return await runExecutableService(container, positionals[0], io);
  } finally {
    await container.dispose();
  }
}
