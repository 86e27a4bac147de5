import { parseCli, writeLine, UsageError, type CliIo } from '../../shared/cli/cli';
import { runExecutableService } from '../../shared/runtime/service-commands';
import { PATH_FLAGS, pathOverrides, type AgentRoot } from './agent-root';

const HELP = `usage: qnet-agent service [--state-dir DIR] [--run-dir DIR] SERVICE [--] [ARG]

The executable form of a qrexec service (the fallback when the agent socket
is not there): reads the QREXEC_* environment and the request on stdin,
writes the response envelope to stdout, exits 0 or with the error's code.
ARG is the service argument, which qrexec passes as argv[1]; it must match
QREXEC_SERVICE_ARGUMENT when qrexec set that too.`;

export async function runServiceCommand(argv: string[], io: CliIo, root: AgentRoot): Promise<number> {
  const { values, positionals } = parseCli(argv, PATH_FLAGS);
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('expected SERVICE [ARG]');
  const config = root.config(io.env, pathOverrides(values));
  const container = root.build(config, io.env);
  try {
    return await runExecutableService(container, positionals[0], io, positionals[1]);
  } finally {
    await container.dispose();
  }
}
