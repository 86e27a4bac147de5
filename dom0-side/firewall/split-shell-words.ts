import { FirewallRuleError } from './firewall-rule-error';

/** Only blanks separate words on a shell command line; \v, \f, \r and NBSP stay inside a word. */
const SHELL_BLANKS = ' \t\n';

/**
 * POSIX-shell word splitting (quotes and backslashes, no expansion), so a
 * line reads as the arguments a user would have typed after `qvm-firewall VM add`:
 * `accept comment="two words"` is two arguments.
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
      else if (c === '\\' && i + 1 < untrustedLine.length && '"\\$`'.includes(untrustedLine[i + 1]))
        word += untrustedLine[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < untrustedLine.length) word += untrustedLine[++i];
      inWord = true;
    } else if (SHELL_BLANKS.includes(c)) {
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
