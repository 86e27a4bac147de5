import { UpstreamCrashError } from '../errors';
import { quote } from '../../shared/errors/qnet-error';
import { isDom0, parseVmToken, type VmToken } from '../parser/vm-token';
import type { DomainInfo, SystemInfo } from '../system-info/system-info';

const UUID_PREFIX = 'uuid:';
const DISPVM_PREFIX = '@dispvm:';

/** A lookup that upstream does by indexing its dict: a miss is a KeyError, and the daemon dies on it. */
export function domainOf(info: SystemInfo, key: string): DomainInfo {
  const d = info.lookup.get(key);
  if (!d) throw new UpstreamCrashError(`qube ${quote(key)} is missing from system info`);
  return d;
}

/** Upstream's uuid field read by indexing: a domain without one is a KeyError. */
export function uuidOf(d: DomainInfo): string {
  if (d.uuid === null) throw new UpstreamCrashError(`qube ${quote(d.name)} has no uuid in system info`);
  return d.uuid;
}

/**
 * Two designations of one qube: equal strings, or a `uuid:UUID` on one side
 * that is the uuid of the qube named on the other. Only one side is resolved:
 * a name is never compared with a name through uuids.
 */
export function sameQube(info: SystemInfo, a: string, b: string): boolean {
  if (a.startsWith(UUID_PREFIX)) {
    if (b.startsWith(UUID_PREFIX)) return a === b;
    const d = info.lookup.get(b);
    return d !== undefined && d.uuid === a.slice(UUID_PREFIX.length);
  }
  if (b.startsWith(UUID_PREFIX)) {
    const d = info.lookup.get(a);
    return d !== undefined && d.uuid === b.slice(UUID_PREFIX.length);
  }
  return a === b;
}

/** A `uuid:` designation (also after `@dispvm:`) as the qube's name; null when the uuid is unknown. */
export function uuidToName(info: SystemInfo, text: string): string | null {
  if (text.startsWith(UUID_PREFIX)) return info.lookup.get(text)?.name ?? null;
  if (text.startsWith(`${DISPVM_PREFIX}${UUID_PREFIX}`)) {
    const d = info.lookup.get(text.slice(DISPVM_PREFIX.length));
    return d ? DISPVM_PREFIX + d.name : null;
  }
  return text;
}

/** `@dispvm` as seen from `source`: `@dispvm:` + its default_dispvm (unchecked), or null. */
export function dispvmTemplateOf(source: string, info: SystemInfo): VmToken | null {
  const template = info.lookup.get(source)?.defaultDispvm ?? null;
  if (template === null) return null;
  // parsed as upstream builds it: an empty or `@`-prefixed default_dispvm is a token error (a denial)
  return parseVmToken(DISPVM_PREFIX + template, 'intendedtarget');
}

/** Column 3 against the calling qube as the request names it. */
export function matchSource(token: VmToken, source: string, info: SystemInfo): boolean {
  switch (token.kind) {
    case 'name':
      return isDom0(token.text) ? isDom0(source) : sameQube(info, token.text, source);
    case 'wildcard':
      return true;
    case 'adminvm':
      return isDom0(source);
    case 'anyvm':
      return !isDom0(source);
    case 'type':
      return info.lookup.get(source)?.type === token.value;
    case 'tag':
      return info.lookup.get(source)?.tags.includes(token.value) ?? false;
    default:
      // `@dispvm:…` tokens only ever match a disposable target, never a caller
      return false;
  }
}

/** Column 4 against the verified intended target. */
export function matchTarget(token: VmToken, target: VmToken, source: string, info: SystemInfo): boolean {
  switch (token.kind) {
    case 'name':
      return isDom0(token.text) ? isDom0(target.text) : sameQube(info, token.text, target.text);
    case 'wildcard':
      return true;
    case 'adminvm':
      return isDom0(target.text);
    case 'anyvm':
      // anything but dom0, including @default and @dispvm
      return !isDom0(target.text);
    case 'default':
    case 'dispvm':
      return token.text === target.text;
    case 'type':
      return info.lookup.get(target.text)?.type === token.value;
    case 'tag':
      return info.lookup.get(target.text)?.tags.includes(token.value) ?? false;
    case 'dispvm-template': {
      if (target.kind === 'dispvm') {
        const template = dispvmTemplateOf(source, info);
        // upstream compares with None and dies on it
        if (template === null) throw new UpstreamCrashError(`${quote(source)} has no default_dispvm to compare`);
        return token.text === template.text;
      }
      return target.kind === 'dispvm-template' && sameQube(info, token.value, target.value);
    }
    case 'dispvm-tag': {
      const template = target.kind === 'dispvm' ? dispvmTemplateOf(source, info) : target;
      if (template === null || template.kind !== 'dispvm-template') return false;
      const d = domainOf(info, template.value);
      return d.templateForDispvms && d.tags.includes(token.value);
    }
  }
}

/** Every target a rule's target (or redirect) could stand for: the raw material of an ask prompt. */
export function expandTarget(token: VmToken, info: SystemInfo): string[] {
  const out: string[] = [];
  const all = (keep: (name: string) => boolean) => {
    for (const [name, d] of info.domains) {
      if (keep(name)) out.push(name);
      if (d.templateForDispvms) out.push(DISPVM_PREFIX + name);
    }
    out.push('@dispvm');
  };
  switch (token.kind) {
    case 'name': {
      const name = info.lookup.has(token.text) ? uuidToName(info, token.text) : null;
      if (name !== null) out.push(name);
      break;
    }
    case 'wildcard':
      all(() => true);
      break;
    case 'anyvm':
      all((name) => !isDom0(name));
      break;
    case 'adminvm':
    case 'dispvm':
      out.push(token.text);
      break;
    case 'type':
    case 'tag':
      for (const [name, d] of info.domains) {
        if (token.kind === 'type' ? d.type === token.value : d.tags.includes(token.value)) out.push(name);
      }
      break;
    case 'dispvm-template': {
      if (domainOf(info, token.value).templateForDispvms) {
        const name = uuidToName(info, token.text);
        if (name !== null) out.push(name);
      }
      break;
    }
    case 'dispvm-tag':
      for (const [name, d] of info.domains) {
        if (d.tags.includes(token.value) && d.templateForDispvms) out.push(DISPVM_PREFIX + name);
      }
      break;
    case 'default':
      break;
  }
  return out;
}
