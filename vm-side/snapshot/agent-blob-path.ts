import { join } from 'node:path';

/** Where `npm run build` leaves the agent's V8 startup snapshot: dist/qnet-agent.blob. */
export const DEFAULT_AGENT_BLOB = join(__dirname, '..', '..', 'qnet-agent.blob');
