import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetConfig, Ping } from '../../../services';
import { encode } from '../../../shared/codec/strict-unpackr';
import { BadRequestError } from '../../../shared/errors/qnet-error';
import { QrexecClientTransport } from '../../../shared/transport/qrexec-client-transport';
import { ServiceClient } from '../../../shared/transport/service-client';
import { tempDir } from '../../helpers/processes';

/**
 * dom0 calls a service as the user its definition names, as upstream calls its root services: with
 * `DEFAULT:` qrexec-agent would run qubes.NetConfig as `user`, which cannot write a sysctl.
 */
describe('QrexecClientTransport: the user on qrexec-client’s command line', () => {
  const tmp = tempDir('qrexec-user');
  const argsFile = join(tmp.path, 'args');
  const fake = join(tmp.path, 'qrexec-client');
  after(() => tmp.dispose());
  before(() => {
    // A stand-in that records its command line and answers like a service: {ok: true, result}.
    const replyFile = join(tmp.path, 'reply');
    writeFileSync(replyFile, encode({ ok: true, result: { appliedGeneration: 7 } }));
    writeFileSync(fake, `#!/bin/sh\necho "$@" >> '${argsFile}'\ncat > /dev/null\ncat '${replyFile}'\n`);
    chmodSync(fake, 0o755);
  });
  const client = () => new ServiceClient(new QrexecClientTransport({ clientVm: 'unused', client: fake }));
  const lastArgs = () => readFileSync(argsFile, 'utf8').trim().split('\n').at(-1);

  it('calls the services that change the network as root:', async () => {
    const res = await client().call(NetConfig, 'work', { generation: 7, qube: 'work' });
    assert.deepEqual(res, { appliedGeneration: 7 });
    assert.equal(lastArgs(), '-d work root:QUBESRPC qubes.NetConfig dom0');
  });

  it('leaves the others to qrexec’s DEFAULT', async () => {
    await client()
      .call(Ping, 'work', {})
      .catch(() => undefined); // the canned reply is NetConfig's; only the command line matters here
    assert.equal(lastArgs(), '-d work DEFAULT:QUBESRPC qnet.Ping dom0');
  });

  it('never puts anything but a user name on the command line', async () => {
    const t = new QrexecClientTransport({ clientVm: 'unused', client: fake });
    await assert.rejects(
      t.invoke('work', 'qnet.Ping', Buffer.alloc(0), { timeoutMs: 5000, maxReplyBytes: 100, runAs: 'root:x y' }),
      BadRequestError,
    );
  });
});
