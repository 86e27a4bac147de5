import assert from 'node:assert/strict';
import { QubesdError, QubesdNoReplyError, QubesdProtocolError } from '../../../../dom0-side/qubesd/qubesd-errors';
import { parseQubesdReply } from '../../../../dom0-side/qubesd/qubesd-reply';
import { formatPythonMessage } from '../../../../dom0-side/qubesd/format-python-message';

const raw = (s: string) => Buffer.from(s, 'latin1');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}

describe('parseQubesdReply', () => {
  it('returns the bytes after 0\\0, also when empty', () => {
    assert.deepEqual(parseQubesdReply(raw('0\0default=False type=int 3'), 'c'), raw('default=False type=int 3'));
    assert.deepEqual(parseQubesdReply(raw('0\0'), 'c'), Buffer.alloc(0));
    assert.deepEqual(parseQubesdReply(raw('0\0a\0b'), 'c'), raw('a\0b'));
  });

  it('turns 2\\0TYPE\\0\\0MESSAGE\\0 into a QubesdError with type, message and code', () => {
    const err = caught(() =>
      parseQubesdReply(raw('2\0QubesFeatureNotFoundError\0\0Feature not set for domain work: ipv6\0'), 'feature.Get'),
    );
    assert.ok(err instanceof QubesdError);
    assert.equal(err.excType, 'QubesFeatureNotFoundError');
    assert.equal(err.qubesdMessage, 'Feature not set for domain work: ipv6');
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(
      err.message,
      'feature.Get: qubesd raised QubesFeatureNotFoundError: "Feature not set for domain work: ipv6"',
    );
  });

  it('skips a debug traceback and keeps the message one line', () => {
    const err = caught(() =>
      parseQubesdReply(raw("2\0QubesVMNotHaltedError\0Traceback:\n  x\n\0Domain is not powered off: 'work'\n\0"), 'c'),
    );
    assert.ok(err instanceof QubesdError);
    assert.equal(err.code, 'CONFLICT');
    assert.equal(err.qubesdMessage, "Domain is not powered off: 'work'\n");
    assert.ok(!err.message.includes('\n'));
  });

  it('formats the older format-plus-arguments exception as qubesadmin does', () => {
    const err = caught(() => parseQubesdReply(raw('2\0QubesException\0\0%s is %d%% done: %r\0work\x0050\0a\0'), 'c'));
    assert.ok(err instanceof QubesdError);
    assert.equal(err.qubesdMessage, "work is 50% done: 'a'");
    assert.equal(err.code, 'APPLY_FAILED');
  });

  it('treats an empty reply as qubesd refusing the call', () => {
    assert.throws(() => parseQubesdReply(Buffer.alloc(0), 'admin.vm.List on dom0'), QubesdNoReplyError);
  });

  it('rejects anything else as a protocol error', () => {
    assert.throws(() => parseQubesdReply(raw('1\0x\0'), 'c'), QubesdProtocolError);
    assert.throws(() => parseQubesdReply(raw('0'), 'c'), QubesdProtocolError);
    assert.throws(() => parseQubesdReply(raw('00'), 'c'), QubesdProtocolError);
    assert.throws(() => parseQubesdReply(raw('2\0QubesException\0\0unterminated'), 'c'), QubesdProtocolError);
    assert.throws(() => parseQubesdReply(raw('2\0QubesException\0'), 'c'), QubesdProtocolError);
    assert.throws(() => parseQubesdReply(raw('2\0Bad Type\0\0m\0'), 'c'), QubesdProtocolError);
    assert.throws(() => parseQubesdReply(Buffer.from([0x32, 0, 0x41, 0, 0, 0xff, 0]), 'c'), QubesdProtocolError);
  });
});

describe('formatPythonMessage', () => {
  it('returns the message unchanged without arguments, even with a stray %', () => {
    assert.equal(formatPythonMessage('100% sure %s', []), '100% sure %s');
  });

  it('keeps arguments visible when they do not match the format', () => {
    assert.equal(formatPythonMessage('%s and %s', ['one']), '%s and %s one');
    assert.equal(formatPythonMessage('%d', ['x']), '%d x');
    assert.equal(formatPythonMessage('none', ['extra']), 'none extra');
  });

  it('writes %r as Python repr of a str', () => {
    assert.equal(formatPythonMessage('%r', ["it's"]), '"it\'s"');
    assert.equal(formatPythonMessage('%r', ['a\\b']), "'a\\\\b'");
  });
});
