/**
 * An unexpected error as one printable line (`Name: message`, capped): what
 * may be logged where qrexec relays stderr to the caller. Never a stack trace,
 * which would show another qube the code's layout.
 */
export function oneLine(err: unknown, max = 300): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' | ').replace(/[^\x20-\x7e]/g, '?');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
