import { UsageError } from '../../../shared/cli/cli';
import type { SettableProperty } from '../../sdk/domain';

/** What qnet lets a user set; every other property is read-only here (or not qnet's). */
export const SETTABLE: readonly SettableProperty[] = ['netvm', 'provides_network', 'ip', 'ip6', 'mac'];

const PROPERTY_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;

/** qvm-prefs takes `provides-network` for `provides_network`: dashes read as underscores. */
export function propertyName(text: string): string {
  const name = text.replace(/-/g, '_');
  if (!PROPERTY_NAME_RE.test(name)) throw new UsageError(`invalid property name ${JSON.stringify(text.slice(0, 32))}`);
  return name;
}

/** `none` in any case, or empty, is no netvm, as qubesadmin reads it. */
export const netvmArgument = (value: string): string | null => (value === '' || /^none$/i.test(value) ? null : value);

function parseBool(prop: string, text: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new UsageError(`${prop} takes True or False, got ${JSON.stringify(text.slice(0, 16))}`);
}

export function settableProperty(text: string): SettableProperty {
  const name = propertyName(text);
  if (!SETTABLE.includes(name as SettableProperty)) {
    throw new UsageError(
      `property ${JSON.stringify(name.slice(0, 32))} cannot be set (settable: ${SETTABLE.join(', ')})`,
    );
  }
  return name as SettableProperty;
}

/** The typed value for a property typed as text on a command line. */
export function propertyValue(prop: SettableProperty, text: string): string | boolean | null {
  if (prop === 'provides_network') return parseBool(prop, text);
  if (prop === 'netvm') return netvmArgument(text);
  return text;
}

/** `-P NAME=VALUE`, as qvm-create takes it. */
export function propertyAssignment(text: string): { prop: SettableProperty; value: string | boolean | null } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--property takes NAME=VALUE, got ${JSON.stringify(text.slice(0, 32))}`);
  const prop = settableProperty(text.slice(0, eq));
  return { prop, value: propertyValue(prop, text.slice(eq + 1)) };
}
