import type { SystemInfo } from '../system-info/system-info';
import type { AllowResolution, AskResolution, Evaluation } from '../evaluator/evaluate';

/** How the request reached the daemon, and what the user answered if it asked. */
export interface DaemonMode {
  readonly justEvaluate: boolean;
  readonly assumeYesForAsk: boolean;
  /** `deny` or `allow:TARGET`, as qrexec-policy-agent answers; absent when nobody answered */
  readonly askResponse?: string | undefined;
}

export const DENY_RESPONSE = 'result=deny';

/** The full allow answer qrexec-daemon parses; upstream writes it without a trailing newline. */
function allowText(
  evaluation: Evaluation,
  info: SystemInfo,
  target: string,
  user: string | null,
  autostart: boolean,
): string {
  // qrexec cannot connect a qube to itself (QubesOS/qubes-issues#951)
  if (evaluation.request.source === target) return DENY_RESPONSE;
  const dispvm = target.startsWith('@dispvm:');
  const d = info.domains.get(dispvm ? target.slice('@dispvm:'.length) : target);
  // upstream looks the uuid up unguarded: an unknown target kills the handler, so the call is refused
  if (!d) return DENY_RESPONSE;
  const uuid = `${dispvm ? '@dispvm:' : ''}uuid:${d.uuid}`;
  return [
    `user=${user || 'DEFAULT'}`,
    'result=allow',
    `target=${target}`,
    `target_uuid=${uuid}`,
    `autostart=${autostart ? 'True' : 'False'}`,
    `requested_target=${evaluation.requestedTarget?.text ?? ''}`,
  ].join('\n');
}

function renderAllow(evaluation: Evaluation, info: SystemInfo, res: AllowResolution, mode: DaemonMode): string {
  if (mode.justEvaluate) return 'result=allow';
  return allowText(evaluation, info, res.target, res.user, res.autostart);
}

/** The user (or assume_yes_for_ask) picked `target`: only a target that was offered may be used. */
function userAllowed(evaluation: Evaluation, info: SystemInfo, res: AskResolution, target: string, mode: DaemonMode) {
  if (!res.targetsForAsk.includes(target)) return DENY_RESPONSE;
  if (mode.justEvaluate) return 'result=allow';
  return allowText(evaluation, info, target, res.user, res.autostart);
}

function renderAsk(evaluation: Evaluation, info: SystemInfo, res: AskResolution, mode: DaemonMode): string {
  if (mode.assumeYesForAsk) return userAllowed(evaluation, info, res, evaluation.requestedTarget?.text ?? '', mode);
  if (mode.justEvaluate) return DENY_RESPONSE;
  // the prompt is shown by the source's GUI qube; without one the ask is refused
  if (!info.domains.get(evaluation.request.source)?.guivm) return DENY_RESPONSE;
  const answer = mode.askResponse;
  if (answer === undefined || !answer.startsWith('allow:')) return DENY_RESPONSE;
  return userAllowed(evaluation, info, res, answer.slice('allow:'.length), mode);
}

const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** The exact text upstream's policy daemon answers for this evaluation. */
export function renderDaemonResponse(evaluation: Evaluation, info: SystemInfo, mode: DaemonMode): string {
  const text = renderText(evaluation, info, mode);
  // upstream encodes its reply as ASCII; a name outside it made that fail, and the call was refused
  return isAscii(text) ? text : DENY_RESPONSE;
}

function renderText(evaluation: Evaluation, info: SystemInfo, mode: DaemonMode): string {
  const res = evaluation.resolution;
  if (evaluation.crashed || res === null) return DENY_RESPONSE;
  if (res.kind === 'allow') {
    // a loopback allow is refused when executed, which just_evaluate skips
    if (evaluation.denial !== null && !mode.justEvaluate) return DENY_RESPONSE;
    return renderAllow(evaluation, info, res, mode);
  }
  return renderAsk(evaluation, info, res, mode);
}
