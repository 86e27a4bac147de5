import { UpstreamCrashError } from '../errors';
import { quote } from '../../shared/errors/qnet-error';
import type { VmToken } from '../parser/vm-token';
import { parseVmToken } from '../parser/vm-token';
import { nameForUuid, type DomainInfo, type SystemInfo } from '../system-info/system-info';

const UUID_PREFIX = 'uuid:';

/** A literal `uuid:UUID` designates whichever qube has that uuid. */
function literalMatches(token: VmToken, other: string, info: SystemInfo): boolean {
  if (token.text === other) return true;
  if (!token.text.startsWith(UUID_PREFIX)) return false;
  const uuid = token.text.slice(UUID_PREFIX.length);
  return uuid !== '' && info.domains.get(other)?.uuid === uuid;
}

/** A qube named either way: its name, or `uuid:UUID` (Qubes 4.3+), resolved to the name when known. */
export function resolveQubeName(nameOrUuid: string, info: SystemInfo): string {
  if (info.domains.has(nameOrUuid) || !nameOrUuid.startsWith(UUID_PREFIX)) return nameOrUuid;
  return nameForUuid(info, nameOrUuid.slice(UUID_PREFIX.length)) ?? nameOrUuid;
}

function domain(info: SystemInfo, name: string): DomainInfo {
  const d = info.domains.get(name);
  // upstream indexes its dict here and dies with a KeyError
  if (!d) throw new UpstreamCrashError(`qube ${quote(name)} is missing from system info`);
  return d;
}

/** `@dispvm` as seen from `source`: `@dispvm:` + its default_dispvm, or null. */
export function dispvmTemplateOf(source: string, info: SystemInfo): VmToken | null {
  const template = info.domains.get(source)?.defaultDispvm ?? null;
  return template === null ? null : parseVmToken(`@dispvm:${template}`, 'intendedtarget');
}

/** Column 3 against the calling qube's name. */
export function matchSource(token: VmToken, source: string, info: SystemInfo): boolean {
  switch (token.kind) {
    case 'name':
      return literalMatches(token, source, info);
    case 'wildcard':
      return true;
    case 'anyvm':
      return source !== '@adminvm';
    case 'type':
      return info.domains.get(source)?.type === token.value;
    case 'tag':
      return info.domains.get(source)?.tags.includes(token.value) ?? false;
    case 'dispvm-tag':
      return false;
    default:
      return token.text === source;
  }
}

/** Column 4 against the verified intended target. */
export function matchTarget(token: VmToken, target: VmToken, source: string, info: SystemInfo): boolean {
  switch (token.kind) {
    case 'name':
      return literalMatches(token, target.text, info);
    case 'wildcard':
      return true;
    case 'anyvm':
      return target.text !== '@adminvm';
    case 'type':
      return info.domains.get(target.text)?.type === token.value;
    case 'tag':
      return info.domains.get(target.text)?.tags.includes(token.value) ?? false;
    case 'dispvm-template': {
      const wanted = `@dispvm:${resolveQubeName(token.value, info)}`;
      if (target.kind === 'dispvm') return dispvmTemplateOf(source, info)?.text === wanted;
      return wanted === target.text;
    }
    case 'dispvm-tag': {
      const template = target.kind === 'dispvm' ? dispvmTemplateOf(source, info) : target;
      if (template === null || template.kind !== 'dispvm-template') return false;
      const d = domain(info, template.value);
      return d.templateForDispvms && d.tags.includes(token.value);
    }
    default:
      return token.text === target.text;
  }
}

/** Upstream re-parses each expanded name as a token, and that turns `dom0` into `@adminvm`. */
const asTarget = (name: string): string => (name === 'dom0' ? '@adminvm' : name);

/** Every target a rule's target (or redirect) could stand for: the raw material of an ask prompt. */
export function expandTarget(token: VmToken, info: SystemInfo): string[] {
  const out: string[] = [];
  const all = (keep: (d: DomainInfo) => boolean) => {
    for (const [name, d] of info.domains) {
      if (keep(d)) out.push(asTarget(name));
      if (d.templateForDispvms) out.push(`@dispvm:${name}`);
    }
    out.push('@dispvm');
  };
  switch (token.kind) {
    case 'name': {
      if (info.domains.has(token.text)) out.push(asTarget(token.text));
      else if (token.text.startsWith(UUID_PREFIX)) {
        const name = nameForUuid(info, token.text.slice(UUID_PREFIX.length));
        if (name !== undefined) out.push(asTarget(name));
      }
      break;
    }
    case 'wildcard':
      all(() => true);
      break;
    case 'anyvm':
      all((d) => d.type !== 'AdminVM');
      break;
    case 'adminvm':
    case 'dispvm':
      out.push(token.text);
      break;
    case 'type':
    case 'tag':
      for (const [name, d] of info.domains) {
        if (token.kind === 'type' ? d.type === token.value : d.tags.includes(token.value)) out.push(asTarget(name));
      }
      break;
    case 'dispvm-template': {
      const name = resolveQubeName(token.value, info);
      if (domain(info, name).templateForDispvms) out.push(`@dispvm:${name}`);
      break;
    }
    case 'dispvm-tag':
      for (const [name, d] of info.domains) {
        if (d.tags.includes(token.value) && d.templateForDispvms) out.push(`@dispvm:${name}`);
      }
      break;
    case 'default':
      break;
  }
  return out;
}
