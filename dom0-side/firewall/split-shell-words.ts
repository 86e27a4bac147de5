import { FirewallRuleError } from './firewall-rule-error';

/** What Python's shlex takes for word separators: \v, \f and NBSP stay inside a word, \r does not. */
const SHLEX_WHITESPACE = ' \t\r\n';
/** Inside double quotes shlex honours a backslash only before these (a POSIX shell also before $ and `). */
const DQUOTE_ESCAPABLE = '"\\';

/**
 * Python's `shlex.split(line)` (POSIX mode, no comments): quotes and
 * backslashes, no expansion, so a line reads as the arguments qvm-firewall's
 * rule parser would get: `accept comment="two words"` is two arguments.
 */
export function splitShellWords(untrustedLine: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < untrustedLine.length; i++) {
    const c = untrustedLine[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < untrustedLine.length && DQUOTE_ESCAPABLE.includes(untrustedLine[i + 1]))
        word += untrustedLine[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= untrustedLine.length) throw new FirewallRuleError('no character after the final backslash');
      word += untrustedLine[++i];
      inWord = true;
    } else if (SHLEX_WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new FirewallRuleError('unterminated quote');
  if (inWord) words.push(word);
  return words;
}
