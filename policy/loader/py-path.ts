import { constants } from 'node:os';
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { AccessDeniedError } from '../errors';
import { pyRepr } from '../parser/py-repr';

/** `str(pathlib.PurePosixPath(p))`: collapses `//` and `/./`, drops a trailing `/`, keeps `..`. */
export function purePath(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  const body = parts.join('/');
  if (abs) return `/${body}`;
  return body === '' ? '.' : body;
}

/** `Path(dir) / name` as pathlib prints it. */
export function joinPure(dir: string, name: string): string {
  if (name.startsWith('/')) return purePath(name);
  const d = purePath(dir);
  return d === '.' ? purePath(name) : purePath(`${d}/${name}`);
}

export function parentPure(p: string): string {
  const d = dirname(purePath(p));
  return d === '' ? '.' : d;
}

/** `Path.resolve()` (not strict): absolute, with symlinks followed as far as the path exists. */
export function resolvePy(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(resolvePy(parent), abs.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
  }
}

export function resolveAgainst(base: string, included: string): string {
  return resolvePy(isAbsolute(included) ? included : join(base, included));
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  EIO: 'Input/output error',
};

/** Upstream wraps every OSError of a load as `failed to load FILE file: [Errno N] strerror: 'FILE'`. */
export function loadFailure(err: unknown, filename: string): AccessDeniedError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  const errno = (constants.errno as Record<string, number>)[code] ?? 5;
  const text = STRERROR[code] ?? code;
  return new AccessDeniedError(`failed to load ${filename} file: [Errno ${errno}] ${text}: ${pyRepr(filename)}`);
}

// pathlib's is_file()/is_dir() answer false for these and raise for the rest
const IGNORED_STAT_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EBADF', 'ELOOP']);

export function statKind(p: string): 'file' | 'dir' | 'other' | 'missing' {
  try {
    const st = statSync(p);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch (err) {
    if (IGNORED_STAT_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) return 'missing';
    throw loadFailure(err, p);
  }
}

/** pathlib's `suffix`: a name starting with its only dot has none. */
export function suffixOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 && i < name.length - 1 ? name.slice(i) : '';
}
