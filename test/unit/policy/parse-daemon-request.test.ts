import assert from 'node:assert/strict';
import { DaemonRequestReader, splitServiceAndArg } from '../../../policy/daemon/parse-daemon-request';

const read = (lines: string[]) => {
  const r = new DaemonRequestReader();
  for (const l of lines) if (!r.push(Buffer.from(l, 'latin1'))) return 'dropped';
  return r.finish();
};

describe('policy/daemon/parse-daemon-request', () => {
  it('reads the three required keys and the optional ones', () => {
    assert.deepEqual(
      read([
        'source=work',
        'intended_target=vault',
        'service_and_arg=qubes.S+x',
        'assume_yes_for_ask=yes',
        'just_evaluate=no',
        'requested_source=a',
        '',
      ]),
      {
        source: 'work',
        intendedTarget: 'vault',
        serviceAndArg: 'qubes.S+x',
        assumeYesForAsk: true,
        justEvaluate: false,
        requestedSource: 'a',
      },
    );
  });
  it('drops a repeated key, an unknown key, a line without =, a bad boolean, non-ASCII', () => {
    assert.equal(read(['source=a', 'source=a']), 'dropped');
    assert.equal(read(['domain_id=1']), 'dropped');
    assert.equal(read(['source']), 'dropped');
    assert.equal(read(['just_evaluate=true']), 'dropped');
    assert.equal(read(['source=\u00e9']), 'dropped');
  });
  it('needs source, intended_target and service_and_arg', () => {
    assert.equal(read(['source=a', 'intended_target=b', '']), null);
  });
  it('keeps everything after the first = in the value', () => {
    const r = read(['source=a=b', 'intended_target=b', 'service_and_arg=c']);
    assert.ok(r && r !== 'dropped' && r.source === 'a=b');
  });
  it('splits service and argument at the first +', () => {
    assert.deepEqual(splitServiceAndArg('a+b+c'), { service: 'a', argument: '+b+c' });
    assert.deepEqual(splitServiceAndArg('a+'), { service: 'a', argument: '+' });
    assert.deepEqual(splitServiceAndArg('a'), { service: 'a', argument: '+' });
  });
});
