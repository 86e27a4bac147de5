// The simulator's pure parts, no root needed: kept beside the end-to-end tests they serve.
import assert from 'node:assert/strict';
import { planCreateArgs, planStartOrder, planSystemInfo, vifOf } from '../../sim/planners/plan-sim';
import { planDnsmasqArgs, UPSTREAM } from '../../sim/planners/upstream-plan';
import { decodeAnswer, encodeQuery } from '../../sim/tools/dns-wire';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../sim/topology';

describe('sim planners', () => {
  it('starts providers before their clients, whatever the file order', () => {
    const t = parseTopology({
      qubes: [
        { name: 'work', qid: 4, netvm: 'fw' },
        { name: 'fw', qid: 3, netvm: 'net', providesNetwork: true },
        { name: 'net', qid: 2, netvm: null, providesNetwork: true, uplink: true },
      ],
    });
    assert.deepEqual(
      planStartOrder(t).map((q) => q.name),
      ['net', 'fw', 'work'],
    );
  });

  it('the default topology is dom0, sys-net, sys-firewall, work, personal, a disposable, sys-vpn and vpn-app', () => {
    assert.equal(DEFAULT_TOPOLOGY.adminVm, 'dom0');
    assert.deepEqual(
      planStartOrder(DEFAULT_TOPOLOGY).map((q) => `${q.name}<${q.netvm ?? '-'}`),
      [
        'sys-net<-',
        'sys-firewall<sys-net',
        'work<sys-firewall',
        'personal<sys-firewall',
        'disp1234<sys-firewall',
        'sys-vpn<sys-firewall',
        'vpn-app<sys-vpn',
      ],
    );
    assert.equal(DEFAULT_TOPOLOGY.qubes.find((q) => q.uplink)?.name, 'sys-net');
    assert.equal(DEFAULT_TOPOLOGY.qubes.find((q) => q.vpn)?.name, 'sys-vpn');
  });

  it('rejects a topology qnetd would refuse later: unknown netvm, non-provider netvm, duplicate qid', () => {
    const base = { name: 'net', qid: 2, netvm: null, providesNetwork: true };
    assert.throws(
      () => parseTopology({ qubes: [{ name: 'a', qid: 4, netvm: 'nope' }] }),
      /netvm must be a network provider/,
    );
    assert.throws(
      () =>
        parseTopology({
          qubes: [
            { ...base, providesNetwork: false },
            { name: 'a', qid: 4, netvm: 'net' },
          ],
        }),
      /netvm must be a network provider/,
    );
    assert.throws(() => parseTopology({ qubes: [base, { name: 'a', qid: 2, netvm: null }] }), /duplicate qid/);
    assert.throws(() => parseTopology({ qubes: [base], extra: 1 }), /unknown key/);
  });

  it("names vifs by the client's xid, as Xen and qnetd's documents do", () => {
    assert.equal(vifOf(17), 'vif17.0');
  });

  it('system info has dom0 as AdminVM and every qube running with a stable uuid', () => {
    const info = planSystemInfo(DEFAULT_TOPOLOGY);
    assert.equal(info.domains.dom0.type, 'AdminVM');
    assert.equal(info.domains.disp1234.type, 'DispVM');
    assert.equal(info.domains.work.power_state, 'Running');
    assert.notEqual(info.domains.work.uuid, info.domains.personal.uuid);
    assert.deepEqual(planSystemInfo(DEFAULT_TOPOLOGY), info);
  });

  it('turns a qube into its qnet create argv', () => {
    const disp = DEFAULT_TOPOLOGY.qubes.find((q) => q.name === 'disp1234')!;
    assert.deepEqual(planCreateArgs(disp), [
      'create', 'disp1234', '--class', 'DispVM', '--netvm', 'sys-firewall', '--qid', '6', '--dispid', '1234',
    ]); // prettier-ignore
    const net = DEFAULT_TOPOLOGY.qubes.find((q) => q.name === 'sys-net')!;
    assert.deepEqual(planCreateArgs(net), [
      'create', 'sys-net', '--class', 'AppVM', '--netvm', 'none', '--qid', '2', '--provides-network',
    ]); // prettier-ignore
  });

  it('runs each resolver on its own address with its own marker record', () => {
    const a = planDnsmasqArgs(0, { pid: '/p', log: '/l' });
    const b = planDnsmasqArgs(1, { pid: '/p', log: '/l' });
    assert.ok(a.includes(`--listen-address=${UPSTREAM.dns[0]}`));
    assert.ok(b.includes(`--listen-address=${UPSTREAM.dns[1]}`));
    assert.ok(a.includes('--host-record=resolver.test,198.51.100.53'));
    assert.ok(b.includes('--host-record=resolver.test,198.51.100.54'));
    assert.ok(a.includes('--no-resolv'), 'the upstream never forwards anywhere');
  });

  it('encodes a DNS question and decodes A and AAAA answers, following name compression', () => {
    const q = encodeQuery(0x1234, 'example.org', 'A');
    assert.equal(q.readUInt16BE(0), 0x1234);
    // an answer: the question echoed, then one record whose name is a pointer to offset 12
    const header = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]);
    const question = q.subarray(12);
    const rr = (type: number, rdata: number[]) =>
      Buffer.from([0xc0, 12, 0, type, 0, 1, 0, 0, 0, 60, 0, rdata.length, ...rdata]);
    const msg = Buffer.concat([
      header,
      question,
      rr(1, [198, 51, 100, 10]),
      rr(28, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 0x10]),
    ]);
    assert.deepEqual(decodeAnswer(msg, 'A'), { id: 0x1234, rcode: 0, addresses: ['198.51.100.10'] });
    assert.deepEqual(decodeAnswer(msg, 'AAAA').addresses, ['2001:db8::10']);
    assert.throws(() => decodeAnswer(Buffer.alloc(5), 'A'), /short reply/);
  });
});
