import { AccessDeniedError, UpstreamCrashError } from '../errors';
import type { Rule } from '../parser/rule';
import { isSet, parseVmToken, type VmToken } from '../parser/vm-token';
import type { SystemInfo } from '../system-info/system-info';
import type { IndexedPolicy } from './indexed-policy';
import { dispvmTemplateOf, expandTarget, matchSource, matchTarget, resolveQubeName } from './match-token';

export interface PolicyRequest {
  readonly service: string;
  /** `+` when no argument was given */
  readonly argument: string;
  readonly source: string;
  /** as the caller asked; empty means `@default` */
  readonly target: string;
}

export type Stage = 'load' | 'request' | 'match' | 'evaluate';

export interface Denial {
  readonly stage: Stage;
  readonly message: string;
  readonly notify: boolean;
}

export interface AllowResolution {
  readonly kind: 'allow';
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

/** The outcome of one request: either a resolution or a denial (a loopback allow carries both). */
export interface Evaluation {
  readonly request: PolicyRequest;
  readonly rule: Rule | null;
  /** The verified intended target, as `requested_target=` reports it. */
  readonly requestedTarget: VmToken | null;
  readonly resolution: AllowResolution | AskResolution | null;
  readonly denial: Denial | null;
  /** Upstream would have crashed: the daemon answers nothing, so the call is refused. */
  readonly crashed: boolean;
}

/** A loaded policy, or the error that made it unusable (then everything is denied). */
export type PolicyState = IndexedPolicy | AccessDeniedError;

function verifyIntendedTarget(token: VmToken, info: SystemInfo): VmToken {
  if (token.kind === 'name') {
    const name = resolveQubeName(token.text, info);
    // Qubes 4.2+: an unknown qube is treated as if the caller named none
    if (!info.domains.has(name)) return parseVmToken('@default', 'intendedtarget');
    return name === token.text ? token : parseVmToken(name, 'intendedtarget');
  }
  if (token.kind === 'dispvm-template') {
    const value = resolveQubeName(token.value, info);
    if (!info.domains.get(value)?.templateForDispvms) {
      throw new AccessDeniedError(`not a template for dispvm: ${value}`);
    }
    return value === token.value ? token : parseVmToken(`@dispvm:${value}`, 'intendedtarget');
  }
  return token;
}

/** Upstream's power-state rule for `autostart=no`. */
function runsWithoutAutostart(target: string, info: SystemInfo): boolean {
  if (target === '@adminvm') return true;
  if (target.startsWith('@dispvm')) return false;
  const d = info.domains.get(target);
  if (!d) throw new UpstreamCrashError(`autostart check on unknown target ${JSON.stringify(target)}`);
  return d.powerState === 'Running';
}

function where(rule: Rule): string {
  return `${rule.file}:${rule.line === null ? 'None' : rule.line}`;
}

function evaluateAllow(
  rule: Rule,
  action: Extract<Rule['action'], { type: 'allow' }>,
  req: PolicyRequest,
  intended: VmToken,
  info: SystemInfo,
): AllowResolution {
  const actual = parseVmToken(isSet(action.target) ? action.target.text : intended.text, 'intendedtarget');
  const verified = verifyIntendedTarget(actual, info);
  let target = verified.text;
  if (verified.kind === 'default') {
    throw new AccessDeniedError(
      `policy define 'allow' action at ${where(rule)} but no target is specified by caller or policy`,
    );
  }
  if (verified.kind === 'dispvm') {
    const template = dispvmTemplateOf(req.source, info);
    if (template === null) {
      throw new AccessDeniedError(
        `policy define 'allow' action to @dispvm at ${where(rule)} but no DispVM base is set for this VM`,
      );
    }
    target = template.text;
  } else if (verified.kind === 'adminvm') {
    target = 'dom0';
  }
  if (!action.autostart && !runsWithoutAutostart(target, info)) {
    throw new AccessDeniedError(`target ${target} is denied because it would require autostart`, action.notify);
  }
  return { kind: 'allow', target, user: action.user, autostart: action.autostart, notify: action.notify };
}

/** The targets an ask prompt offers: later rules first, a later deny removing what an earlier allow offered. */
export function collectTargetsForAsk(policy: IndexedPolicy, req: PolicyRequest, info: SystemInfo): Set<string> {
  const targets = new Set<string>();
  const rules = policy.rulesFor(req.service);
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (!matchesButTarget(rule, req, info)) continue;
    const redirect = rule.action.type === 'deny' ? null : rule.action.target;
    const expansion = expandTarget(isSet(redirect) ? redirect : rule.target, info);
    for (const t of expansion) {
      if (rule.action.type === 'deny') targets.delete(t);
      else targets.add(t);
    }
  }
  if (targets.delete('@dispvm')) {
    const template = dispvmTemplateOf(req.source, info);
    if (template !== null) targets.add(template.text);
  }
  if (targets.delete('@adminvm')) targets.add('dom0');
  targets.delete(req.source);
  return targets;
}

function evaluateAsk(
  rule: Rule,
  action: Extract<Rule['action'], { type: 'ask' }>,
  policy: IndexedPolicy,
  req: PolicyRequest,
  info: SystemInfo,
): AskResolution {
  let targets = action.target !== null ? [action.target.text] : [...collectTargetsForAsk(policy, req, info)];
  if (!action.autostart) targets = targets.filter((t) => runsWithoutAutostart(t, info));
  if (targets.length === 0) {
    throw new AccessDeniedError(
      `policy define 'ask' action at ${where(rule)} but no target is available to choose from`,
    );
  }
  let defaultTarget: string | null = action.defaultTarget?.text ?? null;
  if (action.defaultTarget?.kind === 'dispvm') defaultTarget = dispvmTemplateOf(req.source, info)?.text ?? null;
  else if (action.defaultTarget?.kind === 'adminvm') defaultTarget = 'dom0';
  if (defaultTarget !== null && !targets.includes(defaultTarget)) {
    // upstream asserts this in AskResolution and the daemon dies on it
    throw new UpstreamCrashError(`default_target ${JSON.stringify(defaultTarget)} is not among the targets offered`);
  }
  return {
    kind: 'ask',
    targetsForAsk: targets,
    defaultTarget,
    user: action.user,
    autostart: action.autostart,
    notify: action.notify,
  };
}

function matchesButTarget(rule: Rule, req: PolicyRequest, info: SystemInfo): boolean {
  return (
    (rule.service === null || rule.service === req.service) &&
    (rule.argument === null || rule.argument === req.argument) &&
    matchSource(rule.source, req.source, info)
  );
}

export function findMatchingRule(
  policy: IndexedPolicy,
  req: PolicyRequest,
  intended: VmToken,
  info: SystemInfo,
): Rule | null {
  for (const rule of policy.rulesFor(req.service)) {
    if (matchesButTarget(rule, req, info) && matchTarget(rule.target, intended, req.source, info)) return rule;
  }
  return null;
}

function deny(stage: Stage, err: unknown): Denial {
  if (err instanceof AccessDeniedError) return { stage, message: err.message, notify: err.notify };
  const detail = err instanceof Error ? err.message : String(err);
  return { stage, message: `internal error: ${detail}`, notify: true };
}

/** Decides one request. Never throws: every failure is a denial naming its stage. */
export function evaluateRequest(state: PolicyState, info: SystemInfo, untrustedRequest: PolicyRequest): Evaluation {
  const req = { ...untrustedRequest, source: resolveQubeName(untrustedRequest.source, info) };
  const base = { request: req, rule: null, requestedTarget: null, resolution: null, crashed: false };
  if (state instanceof AccessDeniedError) return { ...base, denial: deny('load', state) };
  let intended: VmToken;
  try {
    intended = verifyIntendedTarget(parseVmToken(req.target === '' ? '@default' : req.target, 'intendedtarget'), info);
  } catch (err) {
    return { ...base, denial: deny('request', err), crashed: !(err instanceof AccessDeniedError) };
  }
  const withTarget = { ...base, requestedTarget: intended };
  let rule: Rule | null;
  try {
    rule = findMatchingRule(state, req, intended, info);
  } catch (err) {
    return { ...withTarget, denial: deny('match', err), crashed: !(err instanceof AccessDeniedError) };
  }
  // the two commonest refusals are built without an Error: capturing a stack costs more than the decision
  if (rule === null)
    return { ...withTarget, denial: { stage: 'match', message: 'no matching rule found', notify: true } };
  const matched = { ...withTarget, rule };
  const action = rule.action;
  if (action.type === 'deny') {
    return {
      ...matched,
      denial: { stage: 'evaluate', message: `denied by policy ${where(rule)}`, notify: action.notify },
    };
  }
  try {
    if (action.type === 'ask') {
      return { ...matched, resolution: evaluateAsk(rule, action, state, req, info), denial: null };
    }
    const resolution = evaluateAllow(rule, action, req, intended, info);
    // qrexec cannot connect a qube to itself (QubesOS/qubes-issues#951)
    const loopback: Denial | null =
      req.source === resolution.target
        ? { stage: 'evaluate', message: 'loopback qrexec connection not supported', notify: true }
        : null;
    return { ...matched, resolution, denial: loopback };
  } catch (err) {
    return { ...matched, denial: deny('evaluate', err), crashed: !(err instanceof AccessDeniedError) };
  }
}
