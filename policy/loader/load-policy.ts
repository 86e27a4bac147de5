import { readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { AccessDeniedError, PolicySyntaxError } from '../errors';
import { compareCodePoints, pySplit, pyStrip } from '../parser/py-repr';
import {
  parseRuleLine,
  parseServiceRuleLine,
  validateServiceAndArgument,
  type Rule,
  type RuleOrigin,
} from '../parser/rule';
import type { Where } from '../parser/vm-token';
import { readRegularFileSync, UnreadableFileError } from './read-regular-file';
import { joinPure, loadFailure, parentPure, purePath, resolveAgainst, resolvePy, statKind, suffixOf } from './py-path';

export const DEFAULT_LEGACY_POLICY_DIR = '/etc/qubes-rpc/policy';

/** A policy line longer than this is refused: no real rule comes close, and it bounds memory per line. */
export const MAX_LINE_CHARS = 1 << 20;
/** A policy file larger than this is refused: it bounds what one load may hold in memory. */
export const MAX_POLICY_FILE_BYTES = 64 << 20;
/** Past this depth the include chain is a mistake; upstream would overflow its stack. */
const MAX_INCLUDE_DEPTH = 64;

const FILENAME_CHARS = /^[0-9a-z_.-]+$/;
const RPCNAME_FILE_CHARS = /^[A-Za-z0-9+\-._]+$/;
/** Package-manager and editor leftovers that `!compat-4.0` skips in the legacy directory. */
const IGNORED_LEGACY_SUFFIXES = new Set(['.rpmsave', '.rpmnew', '.swp']);
/** Upstream numbers the implicit denies that `!compat-4.0` adds as line 0. */
const IMPLICIT_DENY_LINE = 0;

export interface LoadOptions {
  /** Where `!compat-4.0` finds the Qubes 4.0 per-service files. */
  readonly legacyDir?: string;
  /**
   * For the checker: report each error here and keep going (a bad line, file
   * or directory is skipped). Without it the first error ends the load, as
   * upstream's does.
   */
  readonly onError?: (err: AccessDeniedError) => void;
  /** Told every file and directory the load read, so a watcher can notice changes to includes too. */
  readonly onRead?: (path: string) => void;
}

/** `filter_filepaths(Path(dir).iterdir())`: `*.policy` regular files, not hidden, all names valid, sorted. */
export function listPolicyFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw loadFailure(err, purePath(dir));
  }
  const paths = names
    .sort(compareCodePoints)
    .filter((n) => suffixOf(n) === '.policy' && !n.startsWith('.'))
    .map((n) => joinPure(dir, n))
    .filter((p) => policyEntryIsFile(p));
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf('/') + 1);
    if (!FILENAME_CHARS.test(name)) throw new AccessDeniedError(`invalid filename: ${p}`);
  }
  return paths;
}

/**
 * A `*.policy` entry: a regular file is read, a vanished one is skipped. Anything
 * else (FIFO, directory, device, socket) is refused, so the policy is unusable
 * and every request denied. Upstream skips such an entry silently, which drops
 * its rules without a word; qnet fails closed and says which file.
 */
function policyEntryIsFile(path: string): boolean {
  const kind = statKind(path);
  if (kind === 'other' || kind === 'dir') {
    throw new AccessDeniedError(`failed to load ${path} file: not a regular file`);
  }
  return kind === 'file';
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readPolicyText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(path, MAX_POLICY_FILE_BYTES);
  } catch (err) {
    if (err instanceof UnreadableFileError && typeof err.reason === 'string') {
      throw new AccessDeniedError(`failed to load ${path} file: ${err.message}`);
    }
    throw loadFailure(err instanceof UnreadableFileError ? err.reason : err, path);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new AccessDeniedError(`failed to load ${path} file: not valid UTF-8 text`);
  }
}

/** Python's universal newlines: `\r\n`, `\r` and `\n` all end a line. */
function* numberedLines(text: string): Generator<[number, string]> {
  if (text === '') return;
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) yield [i + 1, lines[i]];
}

interface FileContext {
  /** Directory that `!include` paths are relative to: the top-level file's directory. */
  readonly base: string;
  /** The policy directory rule files are reported relative to. */
  readonly topDir: string;
}

/** Upstream's FilePolicy loader: reads the directories, follows includes, returns the rules in order. */
class PolicyFileLoader {
  readonly rules: Rule[] = [];
  private readonly stack: string[] = [];

  constructor(
    private readonly legacyDir: string,
    private readonly onError?: (err: AccessDeniedError) => void,
    private readonly onRead?: (path: string) => void,
  ) {}

  /** Runs one unit of loading; in checker mode a policy error is reported and the unit skipped. */
  private guarded(unit: () => void): void {
    if (!this.onError) return unit();
    try {
      unit();
    } catch (err) {
      if (!(err instanceof AccessDeniedError)) throw err;
      this.onError(err);
    }
  }

  loadDirs(dirs: readonly string[]): void {
    const seen = new Set<string>();
    const files: { path: string; dir: string }[] = [];
    for (const dir of dirs) {
      this.guarded(() => {
        for (const path of listPolicyFiles(dir)) {
          const name = path.slice(path.lastIndexOf('/') + 1);
          if (seen.has(name)) continue;
          seen.add(name);
          files.push({ path, dir });
        }
      });
    }
    const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    files.sort((a, b) => compareCodePoints(base(a.path), base(b.path)));
    for (const f of files) this.guarded(() => this.loadFile(f.path, { base: parentPure(f.path), topDir: f.dir }));
  }

  private readonly relFiles = new Map<string, string>();

  private origin(file: string, line: number | null, ctx: FileContext): RuleOrigin {
    const key = `${ctx.topDir}\0${file}`;
    let rel = this.relFiles.get(key);
    if (rel === undefined) {
      rel = file.startsWith('/') ? relative(resolvePy(ctx.topDir), file) : file.slice(file.lastIndexOf('/') + 1);
      this.relFiles.set(key, rel);
    }
    return { file, line, relFile: rel };
  }

  private enter(path: string, where: Where, body: () => void): void {
    if (this.stack.includes(path)) throw new PolicySyntaxError(where.file, where.line, `include loop: ${path}`);
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      throw new PolicySyntaxError(where.file, where.line, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
    }
    this.stack.push(path);
    try {
      body();
    } finally {
      this.stack.pop();
    }
  }

  private *lines(path: string): Generator<[number, string]> {
    this.onRead?.(path);
    for (const [lineno, raw] of numberedLines(readPolicyText(path))) {
      if (raw.length > MAX_LINE_CHARS) {
        throw new PolicySyntaxError(path, lineno, `line too long (over ${MAX_LINE_CHARS} characters)`);
      }
      const line = pyStrip(raw);
      if (line === '' || line.startsWith('#')) continue;
      yield [lineno, line];
    }
  }

  private loadFile(path: string, ctx: FileContext, from: Where = { file: path, line: null }): void {
    this.enter(path, from, () => {
      for (const [lineno, line] of this.lines(path)) {
        const where = { file: path, line: lineno };
        this.guarded(() => {
          if (line.startsWith('!')) this.directive(pySplit(line), where, ctx);
          else this.rules.push(parseRuleLine(line, this.origin(path, lineno, ctx)));
        });
      }
    });
  }

  private directive([directive, ...params]: string[], where: Where & { file: string }, ctx: FileContext): void {
    const arity = (n: number) => {
      if (params.length !== n) throw new PolicySyntaxError(where.file, where.line, 'invalid number of params');
    };
    switch (directive) {
      case '!include':
        arity(1);
        return this.includeFile(params[0], where, ctx);
      case '!include-dir': {
        arity(1);
        const dir = resolveAgainst(ctx.base, params[0]);
        if (statKind(dir) !== 'dir') throw new PolicySyntaxError(where.file, where.line, `not a directory: ${dir}`);
        this.onRead?.(dir);
        for (const path of listPolicyFiles(dir)) this.loadFile(path, ctx, where);
        return;
      }
      case '!include-service':
        arity(3);
        return this.includeService(params[0], params[1], params[2], where, ctx);
      case '!compat-4.0':
        arity(0);
        return this.compat40(where, ctx);
      default:
        throw new PolicySyntaxError(where.file, where.line, 'invalid directive');
    }
  }

  private includedFile(included: string, where: Where, base: string): string {
    const path = resolveAgainst(base, included);
    if (statKind(path) !== 'file') throw new PolicySyntaxError(where.file, where.line, `not a file: ${path}`);
    return path;
  }

  private includeFile(included: string, where: Where, ctx: FileContext): void {
    this.loadFile(this.includedFile(included, where, ctx.base), ctx, where);
  }

  private includeService(
    service: string | null,
    argument: string | null,
    included: string,
    where: Where,
    ctx: FileContext,
  ): void {
    const checked = validateServiceAndArgument(service, argument, where);
    const path = this.includedFile(included, where, ctx.base);
    this.loadServiceFile(checked.service, checked.argument, path, ctx, where);
  }

  /** A 4.0-format file: `$` for `@`, commas for spaces, `$include:` for `!include`. */
  private loadServiceFile(
    service: string | null,
    argument: string | null,
    path: string,
    ctx: FileContext,
    from: Where,
  ): void {
    this.enter(path, from, () => {
      for (const [lineno, raw] of this.lines(path)) {
        const line = raw.replaceAll('$include:', '!include ').replaceAll('$', '@').replaceAll(',', ' ');
        const where = { file: path, line: lineno };
        this.guarded(() => {
          if (!line.startsWith('!')) {
            this.rules.push(parseServiceRuleLine(service, argument, line, this.origin(path, lineno, ctx)));
            return;
          }
          const [directive, ...params] = pySplit(line);
          if (directive !== '!include') throw new PolicySyntaxError(path, lineno, 'invalid directive');
          if (params.length !== 1) throw new PolicySyntaxError(path, lineno, 'invalid number of params');
          this.includeService(service, argument, params[0], where, ctx);
        });
      }
    });
  }

  /** `!compat-4.0`: every 4.0 per-service file, as if included with `!include-service`, plus its implicit denies. */
  private compat40(where: Where, ctx: FileContext): void {
    const legacy = purePath(this.legacyDir);
    this.onRead?.(legacy);
    let names: string[];
    try {
      names = readdirSync(legacy);
    } catch (err) {
      throw loadFailure(err, legacy);
    }
    const services = new Map<string, Map<string, string>>();
    for (const name of names) {
      const path = joinPure(legacy, name);
      if (!isLegacyPolicyFile(path, name)) continue;
      const plus = name.indexOf('+');
      const service = plus < 0 ? name : name.slice(0, plus);
      const argument = plus < 0 ? '*' : `+${name.slice(plus + 1)}`;
      if (!services.has(service)) services.set(service, new Map());
      services.get(service)?.set(argument, path);
    }
    // the no-argument file goes last: read first, its rules would shadow the per-argument files
    const argOrder = (a: string, b: string) => (a === '*' ? 1 : b === '*' ? -1 : compareCodePoints(a, b));
    const compatCtx = { base: legacy, topDir: ctx.topDir };
    for (const service of [...services.keys()].sort(compareCodePoints)) {
      const byArg = services.get(service) ?? new Map<string, string>();
      for (const argument of [...byArg.keys()].sort(argOrder)) {
        const path = byArg.get(argument) ?? '';
        this.includeService(service, argument, path, where, compatCtx);
        if (argument === '*') continue;
        for (const line of ['@anyvm @anyvm deny', '@anyvm @adminvm deny']) {
          this.rules.push(
            parseServiceRuleLine(service, argument, line, this.origin(path, IMPLICIT_DENY_LINE, compatCtx)),
          );
        }
      }
    }
  }
}

/** A legacy per-service file `!compat-4.0` reads: a regular, visible file named like a service call. */
function isLegacyPolicyFile(path: string, name: string): boolean {
  return (
    statKind(path) === 'file' &&
    !IGNORED_LEGACY_SUFFIXES.has(suffixOf(name)) &&
    !name.startsWith('.') &&
    RPCNAME_FILE_CHARS.test(name)
  );
}

/**
 * Loads a policy the way upstream's FilePolicy does. Throws AccessDeniedError
 * (a PolicySyntaxError names file and line) when the policy cannot be used:
 * then every request is denied.
 */
export function loadPolicyRules(dirs: readonly string[], options: LoadOptions = {}): Rule[] {
  const loader = new PolicyFileLoader(options.legacyDir ?? DEFAULT_LEGACY_POLICY_DIR, options.onError, options.onRead);
  loader.loadDirs(dirs);
  return loader.rules;
}
