import assert from 'node:assert/strict';
import { encodeFakeEvent, encodeFakeException, encodeFakeValue, parseFakeRequest } from '../../../fixtures/fake-qubesd';

const raw = (s: string) => Buffer.from(s, 'latin1');

// The fake must be held to qubesd's framing on its own, or client and fake could agree on a mistake.
describe('fake qubesd wire format', () => {
  it('reads the qubesadmin header, splitting method from argument at the first +', () => {
    assert.deepEqual(parseFakeRequest(raw('admin.vm.feature.Set+ipv6 dom0 name sys-net\x001')), {
      method: 'admin.vm.feature.Set',
      arg: 'ipv6',
      src: 'dom0',
      destType: 'name',
      dest: 'sys-net',
      payload: raw('1'),
    });
    assert.equal(parseFakeRequest(raw('admin.vm.Shutdown+force+wait dom0 name w\0'))?.arg, 'force+wait');
    assert.equal(parseFakeRequest(raw('admin.vm.List+ dom0 name dom0\0'))?.arg, '');
    assert.equal(parseFakeRequest(raw('admin.vm.List dom0 name dom0\0'))?.method, 'admin.vm.List');
  });

  it('maps keyword adminvm to dom0 and refuses other destination types', () => {
    assert.equal(parseFakeRequest(raw('admin.vm.List+ dom0 keyword adminvm\0'))?.dest, 'dom0');
    assert.equal(parseFakeRequest(raw('admin.vm.List+ dom0 keyword default\0')), undefined);
    assert.equal(parseFakeRequest(raw('admin.vm.List+ dom0 uuid x\0')), undefined);
  });

  it('treats a missing NUL or header field as a framing error', () => {
    assert.equal(parseFakeRequest(raw('admin.vm.List+ dom0 name dom0')), undefined);
    assert.equal(parseFakeRequest(raw('admin.vm.List+ dom0 name\0')), undefined);
    assert.equal(parseFakeRequest(raw('dom0\0admin.vm.List\0dom0\0\0')), undefined);
  });

  it('writes replies, exceptions and events byte for byte', () => {
    assert.deepEqual(encodeFakeValue('x y'), raw('0\0x y'));
    assert.deepEqual(encodeFakeValue(undefined), raw('0\0'));
    assert.deepEqual(encodeFakeException('QubesValueError', 'bad'), raw('2\0QubesValueError\0\0bad\0'));
    assert.deepEqual(encodeFakeException('E', 'm', 'tb'), raw('2\0E\0tb\0m\0'));
    assert.deepEqual(encodeFakeEvent(null, 'connection-established'), raw('1\0\0connection-established\0\0'));
    assert.deepEqual(
      encodeFakeEvent('work', 'property-set:netvm', { name: 'netvm', newvalue: 'sys-net' }),
      raw('1\0work\0property-set:netvm\0name\0netvm\0newvalue\0sys-net\0\0'),
    );
  });
});
