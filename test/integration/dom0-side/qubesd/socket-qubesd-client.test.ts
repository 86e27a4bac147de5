import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PayloadTooLargeError } from '../../../../shared/errors/qnet-error';
import { DEFAULT_QUBESD_CONFIG } from '../../../../dom0-side/qubesd/qubesd-config';
import {
  QubesdError,
  QubesdNoReplyError,
  QubesdProtocolError,
  QubesdUnavailableError,
} from '../../../../dom0-side/qubesd/qubesd-errors';
import { SocketQubesdClient } from '../../../../dom0-side/qubesd/socket-qubesd-client';
import { FakeQubesException } from '../../../fixtures/fake-qubesd';
import { tempDir } from '../../../helpers/processes';
import { seedDefaultInstall, startHarness } from './qubesd-harness';

describe('SocketQubesdClient against the fake qubesd', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  beforeEach(async () => {
    h = await startHarness();
    seedDefaultInstall(h.fake);
  });
  afterEach(() => h.dispose());

  it('sends source dom0, name destination, argument and payload as qubesadmin does', async () => {
    await h.client.call({ method: 'admin.vm.feature.Set', arg: 'ipv6', dest: 'sys-net', payload: '1' });
    const [req] = h.fake.calls;
    assert.equal(req.method, 'admin.vm.feature.Set');
    assert.equal(req.arg, 'ipv6');
    assert.equal(req.src, 'dom0');
    assert.equal(req.destType, 'name');
    assert.equal(req.dest, 'sys-net');
    assert.deepEqual(req.payload, Buffer.from('1'));
    assert.equal(h.fake.domains.get('sys-net')?.features.get('ipv6'), '1');
  });

  it('returns the value bytes of a success reply', async () => {
    const reply = await h.client.call({ method: 'admin.vm.property.Get', arg: 'netvm', dest: 'work' });
    assert.equal(reply.toString(), 'default=True type=vm sys-firewall');
    const list = await h.client.call({ method: 'admin.vm.List', dest: 'dom0' });
    assert.match(list.toString(), /^dom0 class=AdminVM state=Running uuid=\S+\npersonal class=AppVM state=Halted/);
  });

  it('raises an exception reply as a typed QubesdError', async () => {
    await assert.rejects(
      h.client.call({ method: 'admin.vm.feature.Get', arg: 'ipv6', dest: 'work' }),
      (err: unknown) =>
        err instanceof QubesdError &&
        err.excType === 'QubesFeatureNotFoundError' &&
        err.qubesdMessage === 'Feature not set for domain work: ipv6' &&
        err.code === 'NOT_FOUND',
    );
    await assert.rejects(
      h.client.call({ method: 'admin.vm.List', dest: 'ghost' }),
      (err: unknown) => err instanceof QubesdError && err.qubesdMessage === "No such domain: 'ghost'",
    );
  });

  it('reads the exception with a traceback that debug mode adds', async () => {
    h.fake.debug = true;
    h.fake.failNext('admin.vm.property.Set', new FakeQubesException('QubesValueError', 'netvm loop'));
    await assert.rejects(
      h.client.call({ method: 'admin.vm.property.Set', arg: 'netvm', dest: 'work', payload: 'x' }),
      (err: unknown) => err instanceof QubesdError && err.qubesdMessage === 'netvm loop' && err.code === 'BAD_REQUEST',
    );
  });

  it('reports a call qubesd drops without a reply, and a ProtocolError it answers', async () => {
    await assert.rejects(
      h.client.call({ method: 'admin.no.Such', dest: 'dom0' }),
      (err: unknown) => err instanceof QubesdError && err.excType === 'ProtocolError',
    );
    await assert.rejects(
      h.client.call({ method: 'admin.vm.property.Set', arg: 'qid', dest: 'work', payload: '9' }),
      QubesdNoReplyError,
    );
    h.fake.failNext('admin.vm.List', 'abort');
    await assert.rejects(h.client.call({ method: 'admin.vm.List', dest: 'dom0' }), QubesdNoReplyError);
  });

  it('caps the reply size and rejects a malformed reply', async () => {
    const small = new SocketQubesdClient({ ...h.config, maxReplyBytes: 64 });
    h.fake.replyRaw('admin.vm.tag.List', Buffer.concat([Buffer.from('0\0'), Buffer.alloc(1000, 0x61)]));
    await assert.rejects(small.call({ method: 'admin.vm.tag.List', dest: 'work' }), PayloadTooLargeError);
    h.fake.replyRaw('admin.vm.feature.List', Buffer.from('9\0nonsense'));
    await assert.rejects(h.client.call({ method: 'admin.vm.feature.List', dest: 'work' }), QubesdProtocolError);
  });

  it('refuses an oversized request before connecting', async () => {
    const payload = 'x'.repeat(70000);
    await assert.rejects(
      h.client.call({ method: 'admin.vm.firewall.Set', dest: 'work', payload }),
      PayloadTooLargeError,
    );
    assert.equal(h.fake.calls.length, 0);
  });

  it('reports a missing socket as qubesd being unavailable', async () => {
    const dir = tempDir('qubesd-missing');
    try {
      const client = new SocketQubesdClient({ ...DEFAULT_QUBESD_CONFIG, socketPath: join(dir.path, 'none.sock') });
      await assert.rejects(client.call({ method: 'admin.vm.List', dest: 'dom0' }), QubesdUnavailableError);
    } finally {
      dir.dispose();
    }
  });
});
