import { AccessDeniedError } from '../errors';
import type { Rule } from '../parser/rule';
import { isDom0, parseVmToken, type VmToken } from '../parser/vm-token';
import type { SystemInfo } from '../system-info/system-info';
import type { IndexedPolicy } from './indexed-policy';
import { dispvmTemplateOf, domainOf, expandTarget, matchSource, matchTarget, uuidOf, uuidToName } from './match-token';

export interface PolicyRequest {
  readonly service: string;
  /** `+` when no argument was given */
  readonly argument: string;
  readonly source: string;
  /** as the caller asked; empty means `@default` */
  readonly target: string;
  /** `qrexec-client-vm -s`: the RemoteVM on whose behalf `source` (its relay) calls; empty or absent means none */
  readonly requestedSource?: string | undefined;
}

export type Stage = 'load' | 'request' | 'match' | 'evaluate';

export interface Denial {
  readonly kind: 'deny';
  readonly stage: Stage;
  readonly message: string;
  readonly notify: boolean;
}

/** Upstream raised something other than AccessDenied: the daemon answers nothing, so the call is refused. */
export interface Crash {
  readonly kind: 'crash';
  readonly stage: Stage;
  readonly message: string;
}

export interface AllowResolution {
  readonly kind: 'allow';
  /** as upstream resolves it: a name, `dom0`, a `uuid:` form, or `@dispvm:TEMPLATE` */
  readonly target: string;
  readonly user: string | null;
  readonly autostart: boolean;
  readonly notify: boolean;
}

export interface AskResolution {
  readonly kind: 'ask';
  readonly targetsForAsk: readonly string[];
  readonly defaultTarget: string | null;
  readonly user: string | null;
  readonly autostart: boolean;
  readonly notify: boolean;
}

export type Outcome = AllowResolution | AskResolution | Denial | Crash;

/** The request as upstream's Request holds it once built. */
export interface ResolvedRequest {
  readonly service: string;
  readonly argument: string;
  /** the qube the policy is evaluated for: the requested source when a relay asked for one */
  readonly source: string;
  /** the verified intended target (`requested_target=` in the daemon's answer) */
  readonly target: VmToken;
  /** the requested source as given, or '' */
  readonly requestedSource: string;
}

/**
 * The result of `policy.evaluate()`: a resolution, a denial or a crash. What
 * executing an allow may still refuse (loopback, a RemoteVM without relay) is
 * the daemon's business, not the evaluation's.
 */
export interface Evaluation {
  readonly request: PolicyRequest;
  /** null when the request could not be built */
  readonly resolved: ResolvedRequest | null;
  readonly rule: Rule | null;
  readonly outcome: Outcome;
}

/** A loaded policy, or the error that made it unusable (then everything is denied). */
export type PolicyState = IndexedPolicy | AccessDeniedError;

/** IntendedTarget.verify(): an unknown qube becomes `@default`; `@dispvm:X` needs a disposable template X. */
function verifyIntendedTarget(token: VmToken, info: SystemInfo): VmToken {
  if (token.kind === 'name') return info.lookup.has(token.text) ? token : parseVmToken('@default', 'intendedtarget');
  if (token.kind === 'dispvm-template') {
    if (!info.lookup.get(token.value)?.templateForDispvms) {
      throw new AccessDeniedError(`not a template for dispvm: ${token.value}`);
    }
  }
  return token;
}

/** Upstream's power-state rule for `autostart=no`. */
function runsWithoutAutostart(target: string, info: SystemInfo): boolean {
  if (isDom0(target)) return true;
  if (target.startsWith('@dispvm')) return false;
  return domainOf(info, target).powerState === 'Running';
}

function where(rule: Rule): string {
  return `${rule.file}:${rule.line === null ? 'None' : rule.line}`;
}

function evaluateAllow(
  rule: Rule,
  action: Extract<Rule['action'], { type: 'allow' }>,
  req: ResolvedRequest,
  info: SystemInfo,
): AllowResolution {
  const actual = action.target ?? req.target;
  const verified = verifyIntendedTarget(parseVmToken(actual.text, 'intendedtarget'), info);
  if (verified.kind === 'default') {
    throw new AccessDeniedError(
      `policy define 'allow' action at ${where(rule)} but no target is specified by caller or policy`,
    );
  }
  let target = verified.text;
  if (verified.kind === 'dispvm') {
    const template = dispvmTemplateOf(req.source, info);
    if (template === null) {
      throw new AccessDeniedError(
        `policy define 'allow' action to @dispvm at ${where(rule)} but no DispVM base is set for this VM`,
      );
    }
    target = template.text;
  } else if (verified.kind === 'adminvm') {
    // `@adminvm` becomes `dom0`; `dom0` and `uuid:0…0` stay as written
    target = 'dom0';
  }
  if (!action.autostart && !runsWithoutAutostart(target, info)) {
    throw new AccessDeniedError(`target ${target} is denied because it would require autostart`, action.notify);
  }
  return { kind: 'allow', target, user: action.user, autostart: action.autostart, notify: action.notify };
}

/** The targets an ask prompt offers: later rules first, a later deny removing what an earlier allow offered. */
export function collectTargetsForAsk(policy: IndexedPolicy, req: ResolvedRequest, info: SystemInfo): Set<string> {
  const source = req.source;
  const sourceDomain = domainOf(info, source);
  const sourceName = source.startsWith('uuid:') ? sourceDomain.name : source;
  const sourceUuid = source.startsWith('uuid:') ? source : `uuid:${uuidOf(sourceDomain)}`;
  const targets = new Set<string>();
  const rules = policy.rulesFor(req.service);
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (!matchesButTarget(rule, req, info)) continue;
    const redirect = rule.action.type === 'deny' ? null : rule.action.target;
    for (const t of expandTarget(redirect ?? rule.target, info)) {
      const name = uuidToName(info, t);
      if (name === null) continue;
      if (rule.action.type === 'deny') targets.delete(name);
      else targets.add(name);
    }
  }
  if (targets.delete('@dispvm')) {
    const template = dispvmTemplateOf(source, info);
    if (template !== null) targets.add(template.text);
  }
  if (targets.delete('@adminvm')) targets.add('dom0');
  // qrexec cannot connect a qube to itself (QubesOS/qubes-issues#951)
  targets.delete(sourceName);
  targets.delete(sourceUuid);
  for (const t of [...targets]) {
    const name = t.startsWith('@dispvm:') ? t.slice('@dispvm:'.length) : t;
    if (domainOf(info, name).internal) targets.delete(t);
  }
  return targets;
}

function evaluateAsk(
  rule: Rule,
  action: Extract<Rule['action'], { type: 'ask' }>,
  policy: IndexedPolicy,
  req: ResolvedRequest,
  info: SystemInfo,
): AskResolution {
  let targets: string[];
  if (action.target !== null) targets = [isDom0(action.target.text) ? 'dom0' : action.target.text];
  else targets = [...collectTargetsForAsk(policy, req, info)];
  if (!action.autostart) targets = targets.filter((t) => runsWithoutAutostart(t, info));
  if (targets.length === 0) {
    throw new AccessDeniedError(
      `policy define 'ask' action at ${where(rule)} but no target is available to choose from`,
    );
  }
  let defaultTarget: string | null = null;
  const wanted = action.defaultTarget;
  if (wanted !== null) {
    if (wanted.kind === 'dispvm') defaultTarget = dispvmTemplateOf(req.source, info)?.text ?? null;
    else defaultTarget = isDom0(wanted.text) ? 'dom0' : wanted.text;
  }
  // a default that is not offered is dropped (upstream logs a warning), the prompt still shows
  if (defaultTarget !== null && !targets.includes(defaultTarget)) defaultTarget = null;
  return {
    kind: 'ask',
    targetsForAsk: targets,
    defaultTarget,
    user: action.user,
    autostart: action.autostart,
    notify: action.notify,
  };
}

function matchesButTarget(rule: Rule, req: ResolvedRequest, info: SystemInfo): boolean {
  return (
    (rule.service === null || rule.service === req.service) &&
    (rule.argument === null || rule.argument === req.argument) &&
    matchSource(rule.source, req.source, info)
  );
}

export function findMatchingRule(policy: IndexedPolicy, req: ResolvedRequest, info: SystemInfo): Rule | null {
  for (const rule of policy.rulesFor(req.service)) {
    if (matchesButTarget(rule, req, info) && matchTarget(rule.target, req.target, req.source, info)) return rule;
  }
  return null;
}

/** Request.__init__: the intended target verified, then a requested source checked and substituted. */
export function resolveRequest(request: PolicyRequest, info: SystemInfo): ResolvedRequest {
  const target = verifyIntendedTarget(
    parseVmToken(request.target === '' ? '@default' : request.target, 'intendedtarget'),
    info,
  );
  let source = request.source;
  const requested = request.requestedSource ?? '';
  if (requested !== '') {
    const d = info.lookup.get(requested);
    if (!d) throw new AccessDeniedError(`unknown requested source qube '${requested}'`);
    if (d.type !== 'RemoteVM') {
      throw new AccessDeniedError(`${requested}: requested source is only authorized for RemoteVM`);
    }
    if (d.relayvm !== source) throw new AccessDeniedError(`${source} is not a relay for ${requested}`);
    source = requested;
  }
  return { service: request.service, argument: request.argument, source, target, requestedSource: requested };
}

function failure(stage: Stage, err: unknown): Denial | Crash {
  if (err instanceof AccessDeniedError) return { kind: 'deny', stage, message: err.message, notify: err.notify };
  const detail = err instanceof Error ? err.message : String(err);
  return { kind: 'crash', stage, message: `internal error: ${detail}` };
}

/** Decides one request. Never throws: every failure is a denial or a crash naming its stage. */
export function evaluateRequest(state: PolicyState, info: SystemInfo, request: PolicyRequest): Evaluation {
  const base = { request, resolved: null, rule: null };
  if (state instanceof AccessDeniedError) return { ...base, outcome: failure('load', state) };
  let resolved: ResolvedRequest;
  try {
    resolved = resolveRequest(request, info);
  } catch (err) {
    return { ...base, outcome: failure('request', err) };
  }
  let rule: Rule | null;
  try {
    rule = findMatchingRule(state, resolved, info);
  } catch (err) {
    return { ...base, resolved, outcome: failure('match', err) };
  }
  // the commonest refusals are built without an Error: capturing a stack costs more than the decision
  if (rule === null) {
    return {
      ...base,
      resolved,
      outcome: { kind: 'deny', stage: 'match', message: 'no matching rule found', notify: true },
    };
  }
  const action = rule.action;
  if (action.type === 'deny') {
    const message = `denied by policy ${where(rule)}`;
    return { ...base, resolved, rule, outcome: { kind: 'deny', stage: 'evaluate', message, notify: action.notify } };
  }
  try {
    const outcome =
      action.type === 'ask'
        ? evaluateAsk(rule, action, state, resolved, info)
        : evaluateAllow(rule, action, resolved, info);
    return { ...base, resolved, rule, outcome };
  } catch (err) {
    return { ...base, resolved, rule, outcome: failure('evaluate', err) };
  }
}
