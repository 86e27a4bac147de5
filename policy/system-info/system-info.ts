import { BadRequestError, quote } from '../../shared/errors/qnet-error';
import { readRegularFileSync } from '../loader/read-regular-file';

/** dom0's uuid: Qubes gives the admin qube the all-zero one. */
export const DOM0_UUID = '00000000-0000-0000-0000-000000000000';

/** One domain of upstream's `internal.GetSystemInfo` answer. */
export interface DomainInfo {
  readonly name: string;
  readonly type: string;
  readonly tags: readonly string[];
  readonly defaultDispvm: string | null;
  readonly templateForDispvms: boolean;
  readonly powerState: string;
  /** null when qubesd gave none: then no `uuid:` alias exists and an answer that needs it is refused */
  readonly uuid: string | null;
  readonly icon: string;
  /** as given; upstream tests it for truth */
  readonly guivm: unknown;
  /** `internal` qubes are never offered in an ask prompt (truth of the given value) */
  readonly internal: boolean;
  /** RemoteVM only: the qube that relays its calls, and the service that carries them (as given) */
  readonly relayvm: unknown;
  readonly transportRpc: unknown;
}

/**
 * The domains by name, in the order qubesd listed them, and `lookup`, which
 * also files each under `uuid:UUID` as upstream's get_system_info() does.
 * Maps, not objects: qube names such as `constructor` must not meet a prototype.
 */
export interface SystemInfo {
  readonly domains: ReadonlyMap<string, DomainInfo>;
  readonly lookup: ReadonlyMap<string, DomainInfo>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Python's truth value of a JSON value. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) return Object.keys(v).length > 0;
  return true;
}

function toDomain(name: string, untrusted: unknown): DomainInfo {
  if (!isRecord(untrusted)) throw new BadRequestError(`system info: domain ${quote(name)} is not an object`);
  const tags = Array.isArray(untrusted.tags) ? untrusted.tags.filter((t): t is string => typeof t === 'string') : [];
  const dom0 = name === 'dom0';
  return {
    name,
    type: str(untrusted.type, dom0 ? 'AdminVM' : 'AppVM'),
    tags,
    defaultDispvm: strOrNull(untrusted.default_dispvm),
    templateForDispvms: pyTruthy(untrusted.template_for_dispvms),
    powerState: str(untrusted.power_state, dom0 ? 'Running' : 'Halted'),
    // dom0's uuid is fixed in Qubes; any other qube without one has none
    uuid: strOrNull(untrusted.uuid) ?? (dom0 && !('uuid' in untrusted) ? DOM0_UUID : null),
    icon: str(untrusted.icon, ''),
    guivm: untrusted.guivm ?? null,
    internal: pyTruthy(untrusted.internal),
    relayvm: untrusted.relayvm ?? null,
    transportRpc: untrusted.transport_rpc ?? null,
  };
}

/** dom0 always exists in Qubes; a document without it describes it as qubesd would. */
const IMPLICIT_DOM0 = { type: 'AdminVM', power_state: 'Running', uuid: DOM0_UUID, icon: 'adminvm-black' };

/** Parses the `{"domains": {NAME: {...}}}` document; missing keys take qubesd's defaults. */
export function parseSystemInfo(untrusted: unknown): SystemInfo {
  if (!isRecord(untrusted) || !isRecord(untrusted.domains)) {
    throw new BadRequestError('system info: expected {"domains": {NAME: {...}}}');
  }
  const domains = new Map<string, DomainInfo>();
  for (const [name, info] of Object.entries(untrusted.domains)) {
    // `uuid:` keys are aliases that get_system_info() adds; they are rebuilt below
    if (name.startsWith('uuid:')) continue;
    domains.set(name, toDomain(name, info));
  }
  if (!domains.has('dom0')) domains.set('dom0', toDomain('dom0', IMPLICIT_DOM0));
  const lookup = new Map(domains);
  for (const d of domains.values()) if (d.uuid) lookup.set(`uuid:${d.uuid}`, d);
  return { domains, lookup };
}

/** qubesd's answer for thousands of qubes stays far below this. */
const MAX_SYSTEM_INFO_BYTES = 32 << 20;

export function loadSystemInfo(path: string): SystemInfo {
  let text: string;
  try {
    text = readRegularFileSync(path, MAX_SYSTEM_INFO_BYTES).toString('utf8');
  } catch (err) {
    throw new BadRequestError(`cannot read system info ${quote(path, 200)}: ${(err as Error).message}`);
  }
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(text);
  } catch (err) {
    // JSON.parse names the position, which is how an editor finds the mistake
    throw new BadRequestError(`system info ${quote(path, 200)} is not valid JSON: ${(err as Error).message}`);
  }
  return parseSystemInfo(untrusted);
}
