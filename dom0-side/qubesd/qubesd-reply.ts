import { quote } from '../../shared/errors/qnet-error';
import { formatPythonMessage } from './format-python-message';
import { QubesdError, QubesdNoReplyError, QubesdProtocolError } from './qubesd-errors';

/** qubesd's reply header: one type byte then a pad byte (`struct.Struct('Bx')`). */
export const REPLY_OK = 0x30;
export const REPLY_EVENT = 0x31;
export const REPLY_EXCEPTION = 0x32;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const EXCEPTION_TYPE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

export function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new QubesdProtocolError(`${what} is not UTF-8`);
  }
}

/**
 * A whole reply as qubesadmin's `_parse_qubesd_response` reads it: `0\0` then
 * the value, or `2\0TYPE\0TRACEBACK\0FORMAT\0` followed by zero or more
 * `ARG\0` (current qubesd sends the formatted message and no arguments).
 * Returns the value's bytes or throws a typed error.
 */
export function parseQubesdReply(reply: Buffer, call: string): Buffer {
  if (reply.length === 0) throw new QubesdNoReplyError(call);
  if (reply.length >= 2 && reply[1] === 0 && reply[0] === REPLY_OK) return reply.subarray(2);
  if (reply.length >= 2 && reply[1] === 0 && reply[0] === REPLY_EXCEPTION) throw parseException(reply, call);
  throw new QubesdProtocolError(`${call}: reply starts with ${quote(reply.subarray(0, 2).toString('latin1'))}`);
}

function parseException(reply: Buffer, call: string): QubesdError {
  if (reply[reply.length - 1] !== 0) throw new QubesdProtocolError(`${call}: exception reply is not NUL-terminated`);
  const fields = splitNul(reply.subarray(2, reply.length - 1));
  if (fields.length < 3)
    throw new QubesdProtocolError(`${call}: exception reply has ${fields.length} fields, expected 3 or more`);
  const [typeBytes, _traceback, formatBytes, ...argBytes] = fields;
  const excType = decodeText(typeBytes, `${call}: exception type`);
  if (!EXCEPTION_TYPE_RE.test(excType)) throw new QubesdProtocolError(`${call}: bad exception type ${quote(excType)}`);
  const format = decodeText(formatBytes, `${call}: exception message`);
  const args = argBytes.map((a) => decodeText(a, `${call}: exception argument`));
  return new QubesdError(excType, formatPythonMessage(format, args), call);
}

/** Splits on every NUL (the terminating one already removed): `a\0\0b` is ['a', '', 'b']. */
function splitNul(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let at = bytes.indexOf(0); at >= 0; at = bytes.indexOf(0, start)) {
    out.push(bytes.subarray(start, at));
    start = at + 1;
  }
  out.push(bytes.subarray(start));
  return out;
}
