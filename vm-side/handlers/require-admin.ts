import type { CallContext } from '../../shared/contract/call-context';
import { ForbiddenError, quote } from '../../shared/errors/qnet-error';

/** Only dom0 configures a qube's network. */
export const ADMIN_SOURCE = 'dom0';

/**
 * Defence in depth behind the policy: even if a policy file let a qube call a
 * configuration service on its netvm, the agent refuses anyone but dom0.
 * The source is the runtime's (qrexec's), never the payload's.
 */
export function requireAdmin(ctx: CallContext): void {
  if (ctx.source !== ADMIN_SOURCE) {
    throw new ForbiddenError(`${ctx.service} is accepted from dom0 only, not ${quote(ctx.source)}`);
  }
}
