import { readFileSync } from 'node:fs';
import { BadRequestError, quote } from '../../shared/errors/qnet-error';

/** One domain of upstream's `internal.GetSystemInfo` answer. */
export interface DomainInfo {
  readonly type: string;
  readonly tags: readonly string[];
  readonly defaultDispvm: string | null;
  readonly templateForDispvms: boolean;
  readonly powerState: string;
  readonly uuid: string;
  readonly icon: string;
  readonly guivm: string | null;
}

/** A Map, not an object: qube names such as `constructor` must not meet a prototype. */
export interface SystemInfo {
  readonly domains: ReadonlyMap<string, DomainInfo>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toDomain(name: string, untrusted: unknown): DomainInfo {
  if (!isRecord(untrusted)) throw new BadRequestError(`system info: domain ${quote(name)} is not an object`);
  const tags = Array.isArray(untrusted.tags) ? untrusted.tags.filter((t): t is string => typeof t === 'string') : [];
  return {
    type: str(untrusted.type, 'AppVM'),
    tags,
    defaultDispvm: strOrNull(untrusted.default_dispvm),
    templateForDispvms: untrusted.template_for_dispvms === true,
    powerState: str(untrusted.power_state, 'Halted'),
    uuid: str(untrusted.uuid, ''),
    icon: str(untrusted.icon, ''),
    guivm: strOrNull(untrusted.guivm),
  };
}

/** Parses the `{"domains": {NAME: {...}}}` document; missing keys take qubesd's defaults. */
export function parseSystemInfo(untrusted: unknown): SystemInfo {
  if (!isRecord(untrusted) || !isRecord(untrusted.domains)) {
    throw new BadRequestError('system info: expected {"domains": {NAME: {...}}}');
  }
  const domains = new Map<string, DomainInfo>();
  for (const [name, info] of Object.entries(untrusted.domains)) domains.set(name, toDomain(name, info));
  return { domains };
}

export function loadSystemInfo(path: string): SystemInfo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadRequestError(`cannot read system info ${quote(path, 200)}: ${(err as Error).message}`);
  }
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(text);
  } catch {
    throw new BadRequestError(`system info ${quote(path, 200)} is not valid JSON`);
  }
  return parseSystemInfo(untrusted);
}

/** Looks a qube up by the `uuid:` form Qubes 4.3+ accepts wherever a name is. */
export function nameForUuid(info: SystemInfo, uuid: string): string | undefined {
  if (uuid === '') return undefined;
  for (const [name, d] of info.domains) if (d.uuid === uuid) return name;
  return undefined;
}
