/**
 * Python's `format % args` for the few conversions qubesd messages use.
 * Older qubesd sent an exception as a format string plus arguments, and
 * qubesadmin formats them client-side (digit strings become ints); current
 * qubesd sends the finished message and no arguments. Never throws: a message
 * that does not match its arguments keeps the arguments visible at the end.
 */
export function formatPythonMessage(format: string, args: readonly string[]): string {
  if (args.length === 0) return format;
  let next = 0;
  let mismatch = false;
  const out = format.replace(/%([%srd])/g, (_m, conv: string) => {
    if (conv === '%') return '%';
    if (next >= args.length) {
      mismatch = true;
      return `%${conv}`;
    }
    const arg = args[next++];
    if (conv === 'r') return pythonStrRepr(arg);
    if (conv === 'd' && !/^\d+$/.test(arg)) mismatch = true;
    return arg;
  });
  return mismatch || next < args.length ? `${format} ${args.join(' ')}` : out;
}

/** `repr(str)`: single quotes unless the text holds one and no double quote. */
function pythonStrRepr(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  return `${q}${text.replace(/\\/g, '\\\\').replaceAll(q, `\\${q}`)}${q}`;
}
