import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import sinon from 'sinon';
import { DnsUpdate, Ping } from '../../../services';
import { encode } from '../../../shared/codec/strict-unpackr';
import { NoSuchServiceError, PolicyDeniedError, QrexecFailedError } from '../../../shared/errors/client-errors';
import { silentLogger } from '../../../shared/logging/logger';
import { DenyAllPolicy, type PolicyHook, type PolicyQuery } from '../../../sim/qrexec/policy-hook';
import { Router } from '../../../sim/qrexec/router';
import { QrexecClientTransport } from '../../../shared/transport/qrexec-client-transport';
import { QrexecClientVmTransport } from '../../../shared/transport/qrexec-client-vm-transport';
import { RouterTransport } from '../../../shared/transport/router-transport';
import { ServiceClient } from '../../../shared/transport/service-client';
import type { Transport } from '../../../shared/transport/transport';
import { rawSocketCall, startSocketProcess, tempDir } from '../../helpers/processes';
import { SAMPLE_REQUESTS } from '../../fixtures/sample-requests';
import { defineService } from '../../../shared/contract/define-service';
import { z } from 'zod';

const ECHO_HOST = join(__dirname, '../../fixtures/echo-host-main.js');
const SHIM = join(__dirname, '../../../sim/qrexec/qrexec-client-vm-shim.js');

/** Allows work → sys-net for the network services and anything → dom0 for qnet.Ping; denies the rest. */
class TablePolicy implements PolicyHook {
  readonly evaluate = sinon.spy((q: PolicyQuery) => {
    if (q.source === 'work' && q.target === 'sys-net') return { allow: true as const, target: 'sys-net' };
    if (q.service === 'qnet.Ping' && (q.target === '@adminvm' || q.target === 'dom0'))
      return { allow: true as const, target: 'dom0' };
    if (q.target === 'ghost') return { allow: true as const, target: 'ghost' };
    return { allow: false as const, reason: 'not in table' };
  });
}

describe('simulation router', () => {
  const tmp = tempDir('router');
  const callLog = join(tmp.path, 'calls.jsonl');
  const hosts: Awaited<ReturnType<typeof startSocketProcess>>[] = [];
  const policy = new TablePolicy();
  let router: Router;

  const qube = (name: string) => ({
    name,
    callerSocket: join(tmp.path, `router-${name}.sock`),
    serviceDir: join(tmp.path, name, 'qubes-rpc'),
  });
  const qubes = ['dom0', 'work', 'sys-net', 'ghost'].map(qube);

  before(async () => {
    for (const name of ['sys-net', 'dom0']) {
      const q = qube(name);
      mkdirSync(q.serviceDir, { recursive: true });
      const sock = join(tmp.path, name, 'agent.sock');
      hosts.push(
        await startSocketProcess(ECHO_HOST, ['serve', '--socket', sock], sock, { QNET_TEST_CALL_LOG: callLog }),
      );
      // As in /etc/qubes-rpc: service entries are symlinks to the one agent socket.
      for (const svc of ['qubes.NetConfig', 'qubes.DnsUpdate', 'qubes.FirewallSync', 'qnet.Ping'])
        symlinkSync(sock, join(q.serviceDir, svc));
    }
    mkdirSync(qube('ghost').serviceDir, { recursive: true });
    // An entry whose agent is not running: the call must fail as qrexec fails (125).
    symlinkSync(join(tmp.path, 'nobody.sock'), join(qube('ghost').serviceDir, 'qnet.Ping'));
    router = new Router({ qubes, adminVm: 'dom0', callTimeoutMs: 5000 }, policy, silentLogger);
    await router.start();
  });
  after(async () => {
    await router.dispose();
    await Promise.all(hosts.map((h) => h.stop()));
    tmp.dispose();
  });

  const transports: [string, (source: string) => Transport][] = [
    ['RouterTransport', (source) => new RouterTransport(qube(source).callerSocket)],
    [
      'qrexec-client-vm (shim) transport',
      (source) => {
        const wrapper = join(tmp.path, `qrexec-client-vm-${source}`);
        writeFileSync(
          wrapper,
          `#!/bin/sh\nQNET_ROUTER_SOCKET='${qube(source).callerSocket}' exec '${process.execPath}' '${SHIM}' "$@"\n`,
        );
        chmodSync(wrapper, 0o755);
        return new QrexecClientVmTransport({ clientVm: wrapper, client: 'unused' });
      },
    ],
  ];

  for (const [label, make] of transports) {
    describe(`through ${label}`, () => {
      for (const [svc, request] of SAMPLE_REQUESTS) {
        it(`round-trips ${svc.name} with the exact VM descriptor`, async () => {
          writeFileSync(callLog, '');
          const res = await new ServiceClient(make('work')).call(svc, 'sys-net', request as never);
          assert.deepEqual(res, svc.response.parse(res));
          const logged = JSON.parse(readFileSync(callLog, 'utf8').trim()) as { ctx: unknown };
          assert.deepEqual(logged.ctx, { service: svc.name, argument: '', source: 'work' });
        });
      }

      it('reaches dom0 by keyword, with the caller as source', async () => {
        const res = await new ServiceClient(make('work')).call(Ping, '@adminvm', { nonce: 'n' });
        assert.equal(res.caller, 'work');
        assert.equal(res.nonce, 'n');
      });

      it('refuses what the policy denies (126) without reaching the target', async () => {
        writeFileSync(callLog, '');
        await assert.rejects(
          new ServiceClient(make('sys-net')).call(DnsUpdate, 'work', { generation: 1, upstream: [] }),
          PolicyDeniedError,
        );
        assert.equal(readFileSync(callLog, 'utf8'), '');
      });

      it('reports a refusal as 126 even when the payload is still being written', async () => {
        // Larger than any socket buffer: the router refuses before reading it, so the writer sees EPIPE.
        const big = Buffer.alloc(4 << 20);
        await assert.rejects(
          make('sys-net').invoke('work', 'qubes.DnsUpdate', big, { timeoutMs: 10_000, maxReplyBytes: 1024 }),
          PolicyDeniedError,
        );
      });

      it('reports a missing service (127) and a dead target (125)', async () => {
        const missing = defineService({
          name: 'qubes.Missing',
          summary: 'not served anywhere',
          request: z.strictObject({}),
          response: z.strictObject({}),
        });
        await assert.rejects(new ServiceClient(make('work')).call(missing, 'sys-net', {}), NoSuchServiceError);
        await assert.rejects(new ServiceClient(make('work')).call(Ping, 'ghost', {}), QrexecFailedError);
      });
    });
  }

  it('asks the policy with the source of the socket, whatever the bytes say', async () => {
    policy.evaluate.resetHistory();
    const res = await rawSocketCall(qube('sys-net').callerSocket, [
      Buffer.from('sys-net qubes.DnsUpdate\0'),
      encode({ generation: 1, upstream: [] }),
    ]);
    assert.equal(res.data[0], 126);
    sinon.assert.calledOnceWithMatch(policy.evaluate, {
      source: 'sys-net',
      target: 'sys-net',
      service: 'qubes.DnsUpdate',
      argument: '',
    });

    // A header trying to smuggle a source is not a valid service name: refused as a qrexec failure.
    const forged = await rawSocketCall(qube('sys-net').callerSocket, [Buffer.from('sys-net qubes.DnsUpdate dom0\0')]);
    assert.equal(forged.data[0], 125);
  });

  it('refuses everything with the default deny-all policy', async () => {
    const strict = new Router(
      {
        qubes: [
          { ...qube('work'), callerSocket: join(tmp.path, 'strict-work.sock') },
          { ...qube('sys-net'), callerSocket: join(tmp.path, 'strict-sys-net.sock') },
        ],
        adminVm: 'dom0',
        callTimeoutMs: 1000,
      },
      new DenyAllPolicy(),
      silentLogger,
    );
    await strict.start();
    try {
      await assert.rejects(
        new ServiceClient(new RouterTransport(join(tmp.path, 'strict-work.sock'))).call(DnsUpdate, 'sys-net', {
          generation: 1,
          upstream: [],
        }),
        PolicyDeniedError,
      );
    } finally {
      await strict.dispose();
    }
  });

  it('maps qrexec-client exit codes in dom0 to typed errors', async () => {
    const fake = join(tmp.path, 'qrexec-client');
    writeFileSync(
      fake,
      `#!/bin/sh\necho "$@" > '${join(tmp.path, 'args')}'\ncat > /dev/null\nexit "$QNET_FAKE_EXIT"\n`,
    );
    chmodSync(fake, 0o755);
    const t = new QrexecClientTransport({ clientVm: 'unused', client: fake });
    const expectations: [string, new (...a: never[]) => Error][] = [
      ['126', PolicyDeniedError],
      ['127', NoSuchServiceError],
      ['125', QrexecFailedError],
    ];
    for (const [code, cls] of expectations) {
      process.env.QNET_FAKE_EXIT = code;
      await assert.rejects(
        t.invoke('work', 'qubes.NetConfig', Buffer.from('x'), { timeoutMs: 5000, maxReplyBytes: 100 }),
        cls,
      );
    }
    delete process.env.QNET_FAKE_EXIT;
    assert.equal(readFileSync(join(tmp.path, 'args'), 'utf8').trim(), '-d work DEFAULT:QUBESRPC qubes.NetConfig dom0');
  });
});
