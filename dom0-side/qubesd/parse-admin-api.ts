import { QUBE_NAME_RE } from '../../services/schemas/qube-name';
import { quote } from '../../shared/errors/qnet-error';
import { QubesdProtocolError } from './qubesd-errors';

/** One line of `admin.vm.List`: `NAME class=CLASS state=STATE[ uuid=UUID]`. */
export interface VmListEntry {
  readonly name: string;
  readonly klass: string;
  /** qubesd's power state: Running, Halted, Transient, Paused, Suspended, Halting, Dying, Crashed, NA. */
  readonly state: string;
}

/** `admin.vm.property.Get`: `default=True|False type=TYPE VALUE`, VALUE empty for None. */
export interface PropertyValue {
  readonly isDefault: boolean;
  readonly type: 'vm' | 'int' | 'bool' | 'str' | 'label';
  readonly value: string;
}

const WORD_RE = /^[A-Za-z0-9_.-]+$/;
const PROPERTY_RE = /^default=(True|False) type=(vm|int|bool|str|label) ([\s\S]*)$/;

/**
 * A reply that is a list of `\n`-terminated lines (tag.List, feature.List,
 * firewall.Get, vm.List). Every line must be terminated: a reply cut short
 * must not read as a shorter list.
 */
export function parseLines(text: string, what: string): string[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new QubesdProtocolError(`${what}: last line is not terminated`);
  return text.slice(0, -1).split('\n');
}

export function parseVmList(text: string): VmListEntry[] {
  return parseLines(text, 'admin.vm.List').map((line) => {
    const [name, ...options] = line.split(' ');
    if (name !== 'dom0' && !QUBE_NAME_RE.test(name)) {
      throw new QubesdProtocolError(`admin.vm.List: bad qube name ${quote(name)}`);
    }
    const fields = new Map<string, string>();
    for (const option of options) {
      const eq = option.indexOf('=');
      if (eq <= 0)
        throw new QubesdProtocolError(`admin.vm.List: ${quote(name)}: expected key=value, got ${quote(option)}`);
      fields.set(option.slice(0, eq), option.slice(eq + 1));
    }
    const klass = fields.get('class');
    const state = fields.get('state');
    if (!klass || !WORD_RE.test(klass) || !state || !WORD_RE.test(state)) {
      throw new QubesdProtocolError(`admin.vm.List: ${quote(name)}: missing or bad class or state`);
    }
    return { name, klass, state };
  });
}

export function parsePropertyValue(text: string, what: string): PropertyValue {
  const m = PROPERTY_RE.exec(text);
  if (!m) throw new QubesdProtocolError(`${what}: unexpected property reply ${quote(text)}`);
  return { isDefault: m[1] === 'True', type: m[2] as PropertyValue['type'], value: m[3] };
}

/** Checks the type qubesd reports, so a renamed or retyped property is caught rather than misread. */
export function expectPropertyType(prop: PropertyValue, type: PropertyValue['type'], what: string): string {
  if (prop.type !== type) throw new QubesdProtocolError(`${what}: expected type=${type}, got type=${prop.type}`);
  return prop.value;
}

export function parseIntProperty(prop: PropertyValue, what: string): number {
  const text = expectPropertyType(prop, 'int', what);
  if (!/^(0|[1-9][0-9]{0,8})$/.test(text)) throw new QubesdProtocolError(`${what}: bad integer ${quote(text)}`);
  return Number(text);
}

export function parseBoolProperty(prop: PropertyValue, what: string): boolean {
  const text = expectPropertyType(prop, 'bool', what);
  if (text !== 'True' && text !== 'False') throw new QubesdProtocolError(`${what}: bad boolean ${quote(text)}`);
  return text === 'True';
}

/** `xid`: -1 while the qube has no domain (halted, or between libvirt's steps); otherwise its Xen domain id. */
export function parseXidProperty(prop: PropertyValue, what: string, max: number): number | undefined {
  if (expectPropertyType(prop, 'int', what) === '-1') return undefined;
  const xid = parseIntProperty(prop, what);
  if (xid < 1 || xid > max) throw new QubesdProtocolError(`${what}: not a guest domain id ${quote(prop.value)}`);
  return xid;
}
