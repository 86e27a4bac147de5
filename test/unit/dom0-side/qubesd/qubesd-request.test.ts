import assert from 'node:assert/strict';
import { PayloadTooLargeError } from '../../../../shared/errors/qnet-error';
import {
  QUBESD_MAX_REQUEST_BYTES,
  describeCall,
  encodeQubesdRequest,
} from '../../../../dom0-side/qubesd/qubesd-request';

describe('encodeQubesdRequest', () => {
  it('writes qubesadmin QubesLocal header with an empty argument after the +', () => {
    const bytes = encodeQubesdRequest({ method: 'admin.vm.List', dest: 'dom0' });
    assert.deepEqual(bytes, Buffer.from('admin.vm.List+ dom0 name dom0\0', 'ascii'));
  });

  it('puts the argument after + and the payload after the NUL, unchanged', () => {
    const bytes = encodeQubesdRequest({ method: 'admin.vm.feature.Set', arg: 'ipv6', dest: 'sys-net', payload: '1' });
    assert.deepEqual(bytes, Buffer.from('admin.vm.feature.Set+ipv6 dom0 name sys-net\x001', 'latin1'));
    const binary = encodeQubesdRequest({ method: 'm', dest: 'a', payload: Uint8Array.of(0, 255) });
    assert.deepEqual(binary, Buffer.concat([Buffer.from('m+ dom0 name a\0'), Buffer.from([0, 255])]));
  });

  it('refuses header fields that would change the framing', () => {
    assert.throws(() => encodeQubesdRequest({ method: 'admin.vm.List x', dest: 'dom0' }), RangeError);
    assert.throws(() => encodeQubesdRequest({ method: 'admin.vm.List', arg: 'a b', dest: 'dom0' }), RangeError);
    assert.throws(() => encodeQubesdRequest({ method: 'admin.vm.List', arg: 'a\0', dest: 'dom0' }), RangeError);
    assert.throws(() => encodeQubesdRequest({ method: 'admin.vm.List', dest: 'work name x' }), RangeError);
    assert.throws(() => encodeQubesdRequest({ method: 'admin.vm.List', dest: '' }), RangeError);
  });

  it('allows exactly qubesd buffer size and refuses one byte more', () => {
    const header = Buffer.byteLength('admin.vm.firewall.Set+ dom0 name work\0');
    const fits = 'x'.repeat(QUBESD_MAX_REQUEST_BYTES - header);
    assert.equal(encodeQubesdRequest({ method: 'admin.vm.firewall.Set', dest: 'work', payload: fits }).length, 65536);
    assert.throws(
      () => encodeQubesdRequest({ method: 'admin.vm.firewall.Set', dest: 'work', payload: `${fits}x` }),
      PayloadTooLargeError,
    );
  });

  it('names a call for messages', () => {
    assert.equal(
      describeCall({ method: 'admin.vm.feature.Get', arg: 'ipv6', dest: 'sys-net' }),
      'admin.vm.feature.Get+ipv6 on sys-net',
    );
    assert.equal(describeCall({ method: 'admin.vm.List', dest: 'dom0' }), 'admin.vm.List on dom0');
  });
});
