import assert from 'node:assert/strict';
import {
  parseBoolProperty,
  parseIntProperty,
  parseLines,
  parsePropertyValue,
  parseVmList,
} from '../../../../dom0-side/qubesd/parse-admin-api';
import { QubesdProtocolError } from '../../../../dom0-side/qubesd/qubesd-errors';

describe('Admin API reply parsers', () => {
  it('reads admin.vm.List lines with and without the uuid field', () => {
    const text =
      'dom0 class=AdminVM state=Running uuid=00000000-0000-0000-0000-000000000000\n' +
      'sys-net class=AppVM state=Running\n' +
      'disp12 class=DispVM state=Halted uuid=1\n';
    assert.deepEqual(parseVmList(text), [
      { name: 'dom0', klass: 'AdminVM', state: 'Running' },
      { name: 'sys-net', klass: 'AppVM', state: 'Running' },
      { name: 'disp12', klass: 'DispVM', state: 'Halted' },
    ]);
  });

  it('refuses admin.vm.List lines it cannot read', () => {
    assert.throws(() => parseVmList('work class=AppVM\n'), QubesdProtocolError);
    assert.throws(() => parseVmList('work state=Running\n'), QubesdProtocolError);
    assert.throws(() => parseVmList('-bad class=AppVM state=Running\n'), QubesdProtocolError);
    assert.throws(() => parseVmList('work class=AppVM  state=Running\n'), QubesdProtocolError);
    assert.throws(() => parseVmList('work class=AppVM state=Running'), QubesdProtocolError);
  });

  it('reads property values, including an empty one (None)', () => {
    assert.deepEqual(parsePropertyValue('default=False type=vm ', 'p'), { isDefault: false, type: 'vm', value: '' });
    assert.deepEqual(parsePropertyValue('default=True type=vm sys-firewall', 'p'), {
      isDefault: true,
      type: 'vm',
      value: 'sys-firewall',
    });
    assert.equal(parseIntProperty(parsePropertyValue('default=False type=int 42', 'p'), 'qid'), 42);
    assert.equal(parseBoolProperty(parsePropertyValue('default=True type=bool False', 'p'), 'pn'), false);
  });

  it('refuses property replies of the wrong shape or type', () => {
    assert.throws(() => parsePropertyValue('default=Maybe type=int 1', 'p'), QubesdProtocolError);
    assert.throws(() => parsePropertyValue('type=int 1', 'p'), QubesdProtocolError);
    assert.throws(
      () => parseIntProperty(parsePropertyValue('default=False type=str 1', 'p'), 'qid'),
      QubesdProtocolError,
    );
    assert.throws(
      () => parseIntProperty(parsePropertyValue('default=False type=int 01', 'p'), 'qid'),
      QubesdProtocolError,
    );
    assert.throws(
      () => parseBoolProperty(parsePropertyValue('default=False type=bool yes', 'p'), 'b'),
      QubesdProtocolError,
    );
  });

  it('splits terminated lines and refuses a cut-off last line', () => {
    assert.deepEqual(parseLines('', 'x'), []);
    assert.deepEqual(parseLines('a\nb\n', 'x'), ['a', 'b']);
    assert.throws(() => parseLines('a\nb', 'x'), QubesdProtocolError);
  });
});
