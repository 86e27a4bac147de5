import { PolicySyntaxError } from '../errors';
import { compareCodePoints, pyListRepr, pyRepr, pySplit, pyTupleRepr } from './py-repr';
import { parseVmToken, type VmToken, type Where } from './vm-token';

export type Action =
  | { readonly type: 'deny'; readonly notify: boolean }
  | {
      readonly type: 'allow';
      readonly target: VmToken | null;
      readonly user: string | null;
      readonly notify: boolean;
      readonly autostart: boolean;
    }
  | {
      readonly type: 'ask';
      readonly target: VmToken | null;
      readonly defaultTarget: VmToken | null;
      readonly user: string | null;
      readonly notify: boolean;
      readonly autostart: boolean;
    };

/** Where a rule came from: `file` as upstream prints it in messages, `relFile` relative to its policy dir. */
export interface RuleOrigin {
  readonly file: string;
  readonly line: number | null;
  readonly relFile: string;
}

export interface Rule extends RuleOrigin {
  /** null for `*` */
  readonly service: string | null;
  /** null for `*`; otherwise starts with `+` */
  readonly argument: string | null;
  readonly source: VmToken;
  readonly target: VmToken;
  readonly action: Action;
}

const RPCNAME_CHARS = /^[A-Za-z0-9+\-._]$/;
const VALID_SERVICE = /^[A-Za-z0-9\-._]*$/;
const VALID_ARGUMENT = /^[A-Za-z0-9+\-._]*$/;

function invalidChars(text: string, allowPlus: boolean): string[] {
  if ((allowPlus ? VALID_ARGUMENT : VALID_SERVICE).test(text)) return [];
  const bad = new Set<string>();
  for (const ch of text) if (!RPCNAME_CHARS.test(ch) || (!allowPlus && ch === '+')) bad.add(ch);
  return [...bad].sort(compareCodePoints);
}

/** `*` becomes null; anything else must be a valid service name and `+argument`. */
export function validateServiceAndArgument(
  service: string | null,
  argument: string | null,
  where: Where,
): { service: string | null; argument: string | null } {
  const svc = service === '*' ? null : service;
  if (svc !== null) {
    const bad = invalidChars(svc, false);
    if (bad.length) {
      throw new PolicySyntaxError(
        where.file,
        where.line,
        `service ${pyRepr(svc)} contains invalid characters: ${pyTupleRepr(bad)}`,
      );
    }
  }
  const arg = argument === '*' ? null : argument;
  if (arg !== null) {
    const bad = invalidChars(arg, true);
    if (bad.length) {
      throw new PolicySyntaxError(
        where.file,
        where.line,
        `argument ${pyRepr(arg)} contains invalid characters: ${pyTupleRepr(bad)}`,
      );
    }
    if (!arg.startsWith('+')) {
      throw new PolicySyntaxError(where.file, where.line, `argument ${pyRepr(arg)} does not start with +`);
    }
    if (svc === null) throw new PolicySyntaxError(where.file, where.line, 'only * argument allowed for * service');
  }
  return { service: svc, argument: arg };
}

const ACTION_PARAMS = {
  deny: ['notify'],
  allow: ['target', 'user', 'notify', 'autostart'],
  ask: ['target', 'default_target', 'user', 'notify', 'autostart'],
} as const;
const ACTION_CLASS = { deny: 'Deny', allow: 'Allow', ask: 'Ask' } as const;
type ActionName = keyof typeof ACTION_PARAMS;
const isActionName = (s: string): s is ActionName => s === 'deny' || s === 'allow' || s === 'ask';

function parseParams(params: readonly string[], where: Where): Map<string, string> {
  const kwds = new Map<string, string>();
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0)
      throw new PolicySyntaxError(where.file, where.line, `invalid action parameter syntax: ${pyRepr(param)}`);
    const key = param.slice(0, eq);
    if (kwds.has(key)) throw new PolicySyntaxError(where.file, where.line, `parameter given twice: ${pyRepr(key)}`);
    kwds.set(key, param.slice(eq + 1));
  }
  return kwds;
}

function parseBool(kwds: Map<string, string>, key: string, where: Where): boolean | undefined {
  const v = kwds.get(key);
  if (v === undefined) return undefined;
  if (v !== 'yes' && v !== 'no') {
    throw new PolicySyntaxError(
      where.file,
      where.line,
      `${pyRepr(key)} is ${pyRepr(v)}, but can be only 'yes' or 'no'`,
    );
  }
  return v === 'yes';
}

function buildAction(name: string, params: readonly string[], where: Where): Action {
  if (!isActionName(name)) throw new PolicySyntaxError(where.file, where.line, `invalid action: ${name}`);
  const kwds = parseParams(params, where);
  const notify = parseBool(kwds, 'notify', where);
  const autostart = parseBool(kwds, 'autostart', where);
  const allowed: readonly string[] = ACTION_PARAMS[name];
  if ([...kwds.keys()].some((k) => !allowed.includes(k))) {
    throw new PolicySyntaxError(
      where.file,
      where.line,
      `invalid parameters for action ${ACTION_CLASS[name]}: ${pyListRepr(params)}`,
    );
  }
  const redirect = (key: string): VmToken | null => {
    const v = kwds.get(key);
    return v === undefined ? null : parseVmToken(v, 'redirect', where);
  };
  if (name === 'deny') return { type: 'deny', notify: notify ?? true };
  const target = redirect('target');
  const common = { user: kwds.get('user') ?? null, notify: notify ?? false, autostart: autostart ?? true };
  if (name === 'allow') return { type: 'allow', target, ...common };
  return { type: 'ask', target, defaultTarget: redirect('default_target'), ...common };
}

export function buildRule(
  service: string | null,
  argument: string | null,
  source: string,
  target: string,
  action: string,
  params: readonly string[],
  origin: RuleOrigin,
): Rule {
  const checked = validateServiceAndArgument(service, argument, origin);
  const sourceToken = parseVmToken(source, 'source', origin);
  const targetToken = parseVmToken(target, 'target', origin);
  const parsedAction = buildAction(action, params, origin);
  if (targetToken.kind === 'default' && parsedAction.type === 'allow' && parsedAction.target === null) {
    throw new PolicySyntaxError(origin.file, origin.line, 'allow action for @default rule must specify target= option');
  }
  return {
    service: checked.service,
    argument: checked.argument,
    source: sourceToken,
    target: targetToken,
    action: parsedAction,
    file: origin.file,
    line: origin.line,
    relFile: origin.relFile,
  };
}

/** A line of the current format: `SERVICE +ARG SOURCE TARGET ACTION [PARAMS]`. */
export function parseRuleLine(untrustedLine: string, origin: RuleOrigin): Rule {
  const fields = pySplit(untrustedLine);
  if (fields.length < 5) throw new PolicySyntaxError(origin.file, origin.line, 'wrong number of fields');
  const [service, argument, source, target, action, ...params] = fields;
  return buildRule(service, argument, source, target, action, params, origin);
}

/** A line of the 4.0 format (`SOURCE TARGET ACTION[,PARAMS]`) under `!include-service`. */
export function parseServiceRuleLine(
  service: string | null,
  argument: string | null,
  untrustedLine: string,
  origin: RuleOrigin,
): Rule {
  const fields = pySplit(untrustedLine);
  if (fields.length < 2) throw new PolicySyntaxError(origin.file, origin.line, 'wrong number of fields');
  const [source, target, ...rest] = fields;
  const actionAndParams = rest.flatMap((p) => p.split(','));
  if (actionAndParams.length < 1) throw new PolicySyntaxError(origin.file, origin.line, 'wrong number of fields');
  const [action, ...params] = actionAndParams;
  return buildRule(service, argument, source, target, action, params, origin);
}
