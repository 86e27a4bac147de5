import { AccessDeniedError } from '../errors';
import { isDom0, parseVmToken } from '../parser/vm-token';
import { pyTruthy, type SystemInfo } from '../system-info/system-info';
import type { AllowResolution, AskResolution, Evaluation, ResolvedRequest } from '../evaluator/evaluate';
import { domainOf, uuidOf } from '../evaluator/match-token';

/** How the request reached the daemon, and what the user answered if it asked. */
export interface DaemonMode {
  readonly justEvaluate: boolean;
  readonly assumeYesForAsk: boolean;
  /** `deny` or `allow:TARGET`, as qrexec-policy-agent answers; absent when nobody answered */
  readonly askResponse?: string | undefined;
}

export const DENY_RESPONSE = 'result=deny';

/** Python's str() of a bool, as upstream formats `autostart=`. */
const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/**
 * AllowResolution.execute(): the answer qrexec-daemon parses, without a
 * trailing newline. Throws AccessDeniedError where upstream refuses while
 * executing, UpstreamCrashError where upstream's handler dies.
 */
function executeAllow(req: ResolvedRequest, info: SystemInfo, target: string, user: string | null, autostart: boolean) {
  // qrexec cannot connect a qube to itself (QubesOS/qubes-issues#951)
  if (req.source === target) throw new AccessDeniedError('loopback qrexec connection not supported');
  const userLine = `user=${user || 'DEFAULT'}`;
  const requested = `requested_target=${req.target.text}`;
  const policySource = req.requestedSource ? [`policy_source=${req.source}`] : [];
  if (isDom0(target)) {
    // dom0 is addressed by name: no target_uuid line, and no policy_source either
    return [userLine, 'result=allow', 'target=dom0', `autostart=${pyBool(autostart)}`, requested].join('\n');
  }
  if (target.startsWith('@dispvm:')) {
    const template = domainOf(info, target.slice('@dispvm:'.length));
    return [
      userLine,
      'result=allow',
      `target=${target}`,
      `target_uuid=@dispvm:uuid:${uuidOf(template)}`,
      `autostart=${pyBool(autostart)}`,
      requested,
      ...policySource,
    ].join('\n');
  }
  const d = domainOf(info, target);
  if (d.type !== 'RemoteVM') {
    return [
      userLine,
      'result=allow',
      `target=${target}`,
      `target_uuid=uuid:${uuidOf(d)}`,
      `autostart=${pyBool(autostart)}`,
      requested,
      ...policySource,
    ].join('\n');
  }
  // a RemoteVM is reached through its relay qube, which runs the transport service; user= does not apply
  if (!pyTruthy(d.relayvm)) throw new AccessDeniedError(`${target}: relayvm is not set`);
  if (!pyTruthy(d.transportRpc)) throw new AccessDeniedError(`${target}: transport RPC is not set`);
  const relay = domainOf(info, String(d.relayvm));
  return [
    'user=DEFAULT',
    'result=allow',
    `target=${String(d.relayvm)}`,
    `target_uuid=uuid:${uuidOf(relay)}`,
    `autostart=${pyBool(autostart)}`,
    requested,
    `service=${String(d.transportRpc)}+${req.target.text}+${req.service}${req.argument}`,
    ...policySource,
  ].join('\n');
}

function executeAllowResolution(req: ResolvedRequest, info: SystemInfo, res: AllowResolution, mode: DaemonMode) {
  // just_evaluate answers before anything is executed, so no execution-time refusal applies
  if (mode.justEvaluate) return 'result=allow';
  return executeAllow(req, info, res.target, res.user, res.autostart);
}

/** handle_user_response(True, target): only a target that was offered may be used. */
function userAllowed(req: ResolvedRequest, info: SystemInfo, res: AskResolution, target: string, mode: DaemonMode) {
  if (!res.targetsForAsk.includes(target)) throw new AccessDeniedError(`target ${target} is not a valid choice`);
  // upstream re-parses a chosen disposable template as a token
  if (target.startsWith('@dispvm:')) parseVmToken(target, 'redirect');
  if (mode.justEvaluate) return 'result=allow';
  return executeAllow(req, info, target, res.user, res.autostart);
}

function executeAsk(req: ResolvedRequest, info: SystemInfo, res: AskResolution, mode: DaemonMode): string {
  if (mode.assumeYesForAsk) return userAllowed(req, info, res, req.target.text, mode);
  if (mode.justEvaluate) return DENY_RESPONSE;
  // the prompt is shown by the source's GUI qube; without one the ask is refused
  if (!pyTruthy(domainOf(info, req.source).guivm)) return DENY_RESPONSE;
  const answer = mode.askResponse ?? 'deny';
  if (!answer.startsWith('allow:')) return DENY_RESPONSE;
  return userAllowed(req, info, res, answer.slice('allow:'.length), mode);
}

const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
};

/**
 * What the policy socket writes for `text`: upstream encodes its answer as
 * ASCII, and a non-ASCII name made that fail, the connection drop and the
 * call be refused.
 */
export function encodeDaemonAnswer(text: string): string {
  return isAscii(text) ? text : DENY_RESPONSE;
}

/**
 * The exact text upstream's request handler (handle_request) returns for this
 * evaluation. Where upstream refuses, or dies (then qrexec refuses the call),
 * this is a deny.
 */
export function renderDaemonResponse(evaluation: Evaluation, info: SystemInfo, mode: DaemonMode): string {
  const { outcome, resolved } = evaluation;
  if (resolved === null || (outcome.kind !== 'allow' && outcome.kind !== 'ask')) return DENY_RESPONSE;
  try {
    return outcome.kind === 'allow'
      ? executeAllowResolution(resolved, info, outcome, mode)
      : executeAsk(resolved, info, outcome, mode);
  } catch {
    return DENY_RESPONSE;
  }
}
