import assert from 'node:assert/strict';
import { ERROR_CODES, exitCodeFor } from '../../../../shared/errors/codes';
import { FileSystemError, fromErrno } from '../../../../shared/errors/errno-error';
import { toWireError } from '../../../../shared/errors/to-wire-error';

const errno = (code: string) => Object.assign(new Error(`${code}: boom, open '/var/lib/x'`), { code });

describe('errno errors a user can act on', () => {
  it('a full disk and a read-only mount keep their cause class on the wire, never a bare internal error', () => {
    assert.deepEqual(toWireError(errno('ENOSPC')), {
      code: 'NO_SPACE',
      message: 'a file could not be written: no space left on device (ENOSPC)',
    });
    assert.deepEqual(toWireError(errno('EDQUOT')).code, 'NO_SPACE');
    assert.deepEqual(toWireError(errno('EROFS')), {
      code: 'READ_ONLY',
      message: 'a file could not be written: read-only file system (EROFS)',
    });
  });

  it('anything else stays INTERNAL, with no detail on the wire', () => {
    assert.deepEqual(toWireError(errno('EIO')), { code: 'INTERNAL', message: 'internal error' });
    assert.equal(fromErrno(new Error('x')), undefined);
    assert.equal(fromErrno(null), undefined);
  });

  it('names what could not be written, and maps to EX_IOERR', () => {
    const err = fromErrno(errno('ENOSPC'), 'qubes.NetConfig generation 4 is in force but could not be saved');
    assert.ok(err instanceof FileSystemError);
    assert.equal(
      err.message,
      'qubes.NetConfig generation 4 is in force but could not be saved: no space left on device (ENOSPC)',
    );
    assert.equal(exitCodeFor('NO_SPACE'), 74);
    assert.equal(exitCodeFor('READ_ONLY'), 74);
    assert.equal(ERROR_CODES.TIMEOUT_APPLIED_LATER.exit, 75);
  });
});
