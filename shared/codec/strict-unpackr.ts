import { Packr, Unpackr } from 'msgpackr';

/**
 * msgpackr by default revives records, RegExp, Error, Set and cycles: too much
 * power for bytes from another qube. Everything off; 64-bit integers come back
 * as strings so no precision is silently lost. Schemas do the rest.
 */
export const strictUnpackr = new Unpackr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  int64AsType: 'string',
});

const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, variableMapSize: true });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes one msgpack value that must span all of `bytes`; throws whatever msgpackr throws. */
export function unpackStrict(bytes: Uint8Array): unknown {
  return strictUnpackr.unpack(bytes);
}
