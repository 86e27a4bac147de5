import assert from 'node:assert/strict';
import {
  parseBufferSize,
  parseQrexecClientVmArgs as parse,
  QrexecClientVmUsage,
  replaceEscapeChars,
} from '../../../../sim/qrexec/qrexec-client-vm-args';

const refused = (argv: string[], exitCode: number, message: string | RegExp) =>
  assert.throws(
    () => parse(argv),
    (err: unknown) =>
      err instanceof QrexecClientVmUsage &&
      err.exitCode === exitCode &&
      (typeof message === 'string' ? err.message === message : message.test(err.message)),
  );

/** Expected values from qrexec 4.4.2's qrexec-client-vm.c: getopt_long("+tTa:p:s:h") and its own checks. */
describe('qrexec-client-vm command line (as upstream parses it)', () => {
  it('TARGET SERVICE[+ARG] and an optional LOCAL_PROGRAM with its arguments', () => {
    assert.deepEqual(parse(['dom0', 'qubes.NetConfig']), { help: false, target: 'dom0', service: 'qubes.NetConfig' });
    const local = parse(['sys-net', 'qubes.Filecopy+x', '/bin/sh', '-c', 'exit 3']);
    assert.deepEqual(local.localProgram, ['/bin/sh', '-c', 'exit 3']);
    assert.equal(local.service, 'qubes.Filecopy+x');
  });

  it('options stop at the first operand: what follows belongs to LOCAL_PROGRAM', () => {
    const r = parse(['-t', 'work', 'svc', '/bin/prog', '-p', 'x', '--help']);
    assert.equal(r.filterStdout, true);
    assert.equal(r.prefixData, undefined);
    assert.deepEqual(r.localProgram, ['/bin/prog', '-p', 'x', '--help']);
    assert.deepEqual(parse(['--', '-odd-target', 'svc']).target, '-odd-target');
  });

  it('short clusters, attached and separate values, long =VALUE or next word, unique prefixes', () => {
    const r = parse(['-tTpDATA', '--agent-socket', '/s', '--buffer=4096', 'dom0', 'svc']);
    assert.deepEqual(
      [r.filterStdout, r.filterStderr, r.prefixData, r.agentSocket, r.bufferSize],
      [true, true, 'DATA', '/s', 4096],
    );
    assert.equal(parse(['-p', 'x', 'dom0', 'svc']).prefixData, 'x');
    assert.equal(parse(['--no-filter-escape-chars-stdout', 'dom0', 'svc']).filterStdout, false);
    refused(['--no-filter', 'dom0', 'svc'], 2, "option '--no-filter' is ambiguous");
  });

  it('$keywords become @keywords; an empty target lets the policy decide (@default)', () => {
    assert.equal(parse(['$dispvm:fedora-dvm', 'svc']).target, '@dispvm:fedora-dvm');
    assert.equal(parse(['$default', 'svc']).target, '@default');
    assert.equal(parse(['', 'svc']).target, '@default');
  });

  it('usage errors exit 2: too few operands, unknown options, a missing value, -p twice', () => {
    refused(['dom0'], 2, '');
    refused([], 2, '');
    refused(['--bogus', 'dom0', 'svc'], 2, "unrecognized option '--bogus'");
    refused(['-x', 'dom0', 'svc'], 2, "invalid option -- 'x'");
    refused(['-a'], 2, "option requires an argument -- 'a'");
    refused(['--help=1'], 2, "option '--help' doesn't allow an argument");
    refused(['-p', 'a', '-p', 'b', 'dom0', 'svc'], 2, '');
  });

  it('--use-stdin-socket and --source-qube are refused, not ignored (the simulated router has neither)', () => {
    refused(['--use-stdin-socket', 'dom0', 'svc'], 2, /not supported in the simulation/);
    refused(['-s', 'work', 'dom0', 'svc'], 2, /not supported in the simulation/);
  });

  it('-h and --help win over missing operands', () => {
    assert.equal(parse(['-h']).help, true);
    assert.equal(parse(['-th']).help, true);
  });

  it('--buffer-size as strtoul(…, 0) with upstream checks: exit 1 for a bad value', () => {
    assert.equal(parseBufferSize('65536'), 65536);
    assert.equal(parseBufferSize('0x10000'), 65536);
    assert.equal(parseBufferSize('010'), 8);
    assert.equal(parseBufferSize('0'), 0);
    for (const [text, message] of [
      ['k', 'Bad buffer size: does not begin with a number'],
      ['-1', 'Bad buffer size: does not begin with a number'],
      ['64k', 'Bad buffer size: trailing junk'],
      ['0x', 'Bad buffer size: trailing junk'],
      ['09', 'Bad buffer size: trailing junk'],
      ['2147483648', 'strtoul: Numerical result out of range'],
    ]) {
      assert.throws(
        () => parseBufferSize(text!),
        (err: unknown) => err instanceof QrexecClientVmUsage && err.exitCode === 1 && err.message === message,
        text,
      );
    }
    assert.equal(parseBufferSize('2147483647'), 2147483647);
  });

  it('the escape filter keeps printable ASCII, tab, LF, CR, BS and BEL, and replaces the rest by _', () => {
    const input = Buffer.from([0x41, 0x09, 0x0a, 0x0d, 0x08, 0x07, 0x1b, 0x00, 0x7f, 0xc3, 0xa9, 0x7e, 0x20]);
    assert.deepEqual(
      [...replaceEscapeChars(input)],
      [0x41, 0x09, 0x0a, 0x0d, 0x08, 0x07, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x7e, 0x20],
    );
    assert.equal(input[6], 0x1b, 'the input is left as it was');
  });
});
