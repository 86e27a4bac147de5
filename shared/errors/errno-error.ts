import { QnetError } from './qnet-error';

/** errno codes a user can act on, with the error code and the words that say so. */
const ACTIONABLE = {
  ENOSPC: { code: 'NO_SPACE', words: 'no space left on device' },
  EDQUOT: { code: 'NO_SPACE', words: 'disk quota exceeded' },
  EROFS: { code: 'READ_ONLY', words: 'read-only file system' },
} as const;
type Actionable = keyof typeof ACTIONABLE;

const errnoOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

export function isActionableErrno(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && Object.hasOwn(ACTIONABLE, code);
}

/**
 * A file-system failure whose cause the user can fix (a full disk, a
 * read-only mount): it carries that cause as its code instead of a bare
 * internal error. `what` says what could not be written and what that means.
 */
export class FileSystemError extends QnetError {
  readonly code: 'NO_SPACE' | 'READ_ONLY';
  constructor(what: string, cause: unknown) {
    const errno = errnoOf(cause) as Actionable;
    const known = ACTIONABLE[errno];
    super(`${what}: ${known.words} (${errno})`, { cause });
    this.code = known.code;
  }
}

/** `err` as a FileSystemError when its errno is one a user can act on; undefined otherwise. */
export function fromErrno(err: unknown, what = 'a file could not be written'): FileSystemError | undefined {
  return isActionableErrno(err) ? new FileSystemError(what, err) : undefined;
}
