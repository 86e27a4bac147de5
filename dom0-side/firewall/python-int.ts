// CPython's int(str) for the texts Qubes's rule code hands it. The qvm-firewall
// client converts port numbers, prefix lengths and relative expiry with int()
// and sends the *converted* number, so whatever int() takes reaches qubesd as
// plain ASCII digits; qnet must take exactly the same spellings.

/** What CPython's int() skips around the digits once the text is ASCII: C isspace() only. */
const C_SPACE = ' \t\n\r\x0b\x0c';

/**
 * Non-ASCII characters Py_UNICODE_ISSPACE() accepts; int() turns each into a
 * space before parsing. ASCII passes through unchanged, so \x1c-\x1f (which
 * str.strip() removes) still make int() fail.
 */
const UNICODE_SPACE = new Set([
  0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
  0x2029, 0x202f, 0x205f, 0x3000,
]);

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** CPython refuses to convert more than 4300 digits (sys.int_info.default_max_str_digits). */
const MAX_DIGITS = 4300;

/**
 * The value of a Unicode decimal digit: Nd digits come in runs of ten that
 * start at zero, so the distance from the start of its run, modulo ten.
 */
function decimalValue(codePoint: number): number {
  let start = codePoint;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (codePoint - start) % 10;
}

/** int()'s first step: non-ASCII spaces become ' ', non-ASCII decimal digits their ASCII digit. */
function toAsciiForInt(text: string): string | undefined {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) out += ch;
    else if (UNICODE_SPACE.has(cp)) out += ' ';
    else if (DECIMAL_DIGIT.test(ch)) out += String(decimalValue(cp));
    else return undefined;
  }
  return out;
}

function stripChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start])) start++;
  while (end > start && chars.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

/**
 * Python's `int(text)`: surrounding whitespace, a sign, single underscores
 * between digits and any script's decimal digits are accepted there, so the
 * Qubes code that calls it accepts them too. Returns undefined where Python
 * raises, and also for values beyond ±2^53, which every caller refuses as out
 * of range anyway.
 */
export function parsePythonInt(text: string): number | undefined {
  const ascii = toAsciiForInt(text);
  if (ascii === undefined) return undefined;
  const body = stripChars(ascii, C_SPACE);
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(body)) return undefined;
  if (body.replace(/[^0-9]/g, '').length > MAX_DIGITS) return undefined;
  const value = Number(body.replace(/_/g, ''));
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Python's `str.isdigit()` on ASCII text (qubesd decodes its payload as ASCII first). */
export function isAsciiDigits(text: string): boolean {
  return /^[0-9]+$/.test(text);
}
