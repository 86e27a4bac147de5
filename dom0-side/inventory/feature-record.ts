/**
 * Features are keyed by names qubes choose (`__proto__`, `constructor` are
 * valid Qubes feature names), so they live in objects without a prototype:
 * every name is an ordinary own property there, assigned, read and
 * serialized like any other.
 */
export type FeatureRecord = Readonly<Record<string, string>>;

export function toFeatureRecord(entries: Iterable<readonly [string, string]>): FeatureRecord {
  const record = Object.create(null) as Record<string, string>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}

export function hasFeature(features: FeatureRecord, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(features, name);
}

/** The record with one feature set, or removed when `value` is null. */
export function withFeature(features: FeatureRecord, name: string, value: string | null): FeatureRecord {
  const entries = Object.entries(features).filter(([n]) => n !== name);
  if (value !== null) entries.push([name, value]);
  return toFeatureRecord(entries);
}

/** Name-ordered pairs: the admin API's form, which no object-shaped decoder can mangle. */
export function toFeaturePairs(features: FeatureRecord): [string, string][] {
  return Object.entries(features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
