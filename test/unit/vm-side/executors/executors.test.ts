import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { CommandFailedError, type CommandRunner } from '../../../../shared/exec/command-runner';
import { ConntrackToolPurger } from '../../../../vm-side/executors/conntrack-purger';
import { CommandSysctlExecutor } from '../../../../vm-side/executors/command-sysctl-executor';
import { IprouteIpExecutor } from '../../../../vm-side/executors/iproute-ip-executor';
import { NetnsCommandRunner } from '../../../../vm-side/executors/netns-command-runner';
import { ProcSysctlExecutor } from '../../../../vm-side/executors/proc-sysctl-executor';

const fakeRunner = () => ({ exec: sinon.fake.resolves({ stdout: '', stderr: '' }) }) satisfies CommandRunner;

describe('IprouteIpExecutor', () => {
  it('sends the whole plan as one ip -batch on stdin', async () => {
    const run = fakeRunner();
    await new IprouteIpExecutor(run, { ipBinary: '/sbin/ip' }).apply({
      ops: [
        { kind: 'addr-add', dev: 'eth0', cidr: 'fd09::5/128' },
        { kind: 'neigh-permanent', dev: 'eth0', ip: '10.137.0.1', mac: 'fe:ff:ff:ff:ff:ff' },
        { kind: 'route-replace', dev: 'eth0', dst: '0.0.0.0/0', via: '10.137.0.1', onlink: true },
      ],
    });
    sinon.assert.calledOnceWithExactly(run.exec, '/sbin/ip', ['-batch', '-'], {
      input:
        'address replace fd09::5/128 dev eth0 nodad\n' +
        'neighbour replace 10.137.0.1 lladdr fe:ff:ff:ff:ff:ff dev eth0 nud permanent\n' +
        'route replace 0.0.0.0/0 via 10.137.0.1 dev eth0 onlink\n',
    });
  });

  it('starts no process for an empty plan', async () => {
    const run = fakeRunner();
    await new IprouteIpExecutor(run, { ipBinary: 'ip' }).apply({ ops: [] });
    sinon.assert.notCalled(run.exec);
  });
});

describe('ProcSysctlExecutor', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'qnet-sysctl-'));
    mkdirSync(join(root, 'net/ipv4/conf/vif3.0'), { recursive: true });
    writeFileSync(join(root, 'net/ipv4/conf/vif3.0/proxy_arp'), '0\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads and writes under the configured root; a missing key reads as undefined', async () => {
    const sysctl = new ProcSysctlExecutor({ sysctlRoot: root });
    const keys = ['net/ipv4/conf/vif3.0/proxy_arp', 'net/ipv6/conf/all/forwarding'];
    assert.deepEqual(
      [...(await sysctl.read(keys))],
      [
        ['net/ipv4/conf/vif3.0/proxy_arp', '0'],
        ['net/ipv6/conf/all/forwarding', undefined],
      ],
    );
    await sysctl.apply([{ key: 'net/ipv4/conf/vif3.0/proxy_arp', value: '1' }]);
    assert.equal(readFileSync(join(root, 'net/ipv4/conf/vif3.0/proxy_arp'), 'utf8'), '1\n');
    await assert.rejects(sysctl.apply([{ key: 'net/nope/x', value: '1' }]), { code: 'APPLY_FAILED' });
  });

  it('refuses keys that would leave the tree', async () => {
    const sysctl = new ProcSysctlExecutor({ sysctlRoot: root });
    await assert.rejects(sysctl.read(['../../etc/passwd']), RangeError);
  });
});

describe('CommandSysctlExecutor and NetnsCommandRunner', () => {
  it('writes every key in one sysctl call, inside the namespace', async () => {
    const inner = fakeRunner();
    const sysctl = new CommandSysctlExecutor(new NetnsCommandRunner(inner, 'qnt-x'), 'sysctl');
    await sysctl.apply([
      { key: 'net/ipv4/ip_forward', value: '1' },
      { key: 'net/ipv4/conf/vif3.0/proxy_arp', value: '1' },
    ]);
    sinon.assert.calledOnceWithExactly(
      inner.exec,
      'ip',
      ['netns', 'exec', 'qnt-x', 'sysctl', '-q', '-w', 'net/ipv4/ip_forward=1', 'net/ipv4/conf/vif3.0/proxy_arp=1'],
      undefined,
    );
  });

  it('rejects a namespace name that is not a plain word', () => {
    assert.throws(() => new NetnsCommandRunner(fakeRunner(), '../x y'), RangeError);
  });
});

describe('ConntrackToolPurger', () => {
  const listing =
    'udp      17 29 src=10.137.0.7 dst=10.137.0.6 sport=40000 dport=9 [UNREPLIED] src=10.137.0.6 dst=10.137.0.7 sport=9 dport=40000 mark=0 use=1\n';

  it('lists each family once and deletes only addresses that have flows, both directions', async () => {
    const nothing = new CommandFailedError(
      'conntrack -D',
      1,
      'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
    );
    const exec = sinon.stub();
    exec.withArgs('conntrack', ['-L', '-f', 'ipv4']).resolves({ stdout: listing, stderr: '' });
    exec.withArgs('conntrack', ['-L', '-f', 'ipv6']).resolves({ stdout: '', stderr: '' });
    exec.withArgs('conntrack', ['-D', '-f', 'ipv4', '-s', '10.137.0.7']).resolves({ stdout: '', stderr: '' });
    exec.withArgs('conntrack', ['-D', '-f', 'ipv4', '-d', '10.137.0.7']).rejects(nothing);
    await new ConntrackToolPurger({ exec }, { conntrackBinary: 'conntrack' }).purge([
      '10.137.0.7',
      '10.137.0.8',
      'fd09::7',
    ]);
    assert.deepEqual(
      exec.args.map((a) => (a[1] as string[]).join(' ')),
      ['-L -f ipv4', '-D -f ipv4 -s 10.137.0.7', '-D -f ipv4 -d 10.137.0.7', '-L -f ipv6'],
    );
  });

  it('reports any other failure', async () => {
    const exec = sinon.stub();
    exec.onFirstCall().resolves({ stdout: listing, stderr: '' });
    exec.onSecondCall().rejects(new CommandFailedError('conntrack -D', 1, 'Operation not permitted'));
    await assert.rejects(new ConntrackToolPurger({ exec }, { conntrackBinary: 'conntrack' }).purge(['10.137.0.7']), {
      code: 'APPLY_FAILED',
    });
  });
});
