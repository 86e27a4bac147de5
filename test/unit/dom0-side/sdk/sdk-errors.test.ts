import assert from 'node:assert/strict';
import { RemoteServiceError } from '../../../../shared/errors/client-errors';
import { TimeoutError, UnavailableError } from '../../../../shared/errors/qnet-error';
import {
  ChangeConflictError,
  InvalidChangeError,
  QnetdError,
  QnetdUnavailableError,
  QubeNotFoundError,
  toSdkError,
} from '../../../../dom0-side/sdk/sdk-errors';

describe('dom0-side/sdk toSdkError', () => {
  it("turns qnetd's error envelopes back into typed errors with its code and message", () => {
    const cases: [string, new (...a: never[]) => QnetdError][] = [
      ['NOT_FOUND', QubeNotFoundError],
      ['BAD_REQUEST', InvalidChangeError],
      ['CONFLICT', ChangeConflictError],
      ['UNAVAILABLE', QnetdUnavailableError],
      ['FORBIDDEN', QnetdError],
    ];
    for (const [code, Klass] of cases) {
      const err = toSdkError(new RemoteServiceError(code, `dom0: ${code}: qube "x": something`)) as QnetdError;
      assert.ok(err instanceof Klass, code);
      assert.equal(err.code, code);
      assert.equal(err.message, 'qube "x": something');
    }
    const odd = toSdkError(new RemoteServiceError('WEIRD', 'dom0: WEIRD: hm')) as QnetdError;
    assert.equal(odd.code, 'INTERNAL');
  });

  it('names a missing qnetd and passes other errors through', () => {
    const down = toSdkError(new UnavailableError('nothing serves "/run/qnet/qnetd.sock" (ENOENT)'));
    assert.ok(down instanceof QnetdUnavailableError);
    assert.match((down as Error).message, /^qnetd is not running: nothing serves/);
    const timeout = new TimeoutError('x', 1);
    assert.equal(toSdkError(timeout), timeout);
  });
});
