import assert from 'node:assert/strict';
import { firewallHookPaths } from '../../../../vm-side/firewall-hooks/hook-paths';
import {
  compareCodePoints,
  planFirewallHooks,
  type FirewallHooksObserved,
  type HookDirEntry,
} from '../../../../vm-side/firewall-hooks/planners/plan-firewall-hooks';

const paths = firewallHookPaths('');
const exe = (name: string): HookDirEntry => ({ name, displayName: name, regularFile: true, executable: true });
const observed = (over: Partial<FirewallHooksObserved> = {}): FirewallHooksObserved => ({
  serviceEnabled: true,
  customPersist: false,
  systemDir: undefined,
  userDir: undefined,
  userScript: undefined,
  ...over,
});
const order = (o: FirewallHooksObserved) => {
  const plan = planFirewallHooks(paths, o);
  assert.ok(plan.enabled);
  return plan.scripts.map((s) => s.path);
};

// Expected values from qubesagent/firewall.py (qubes-core-agent-linux): FirewallWorker.main runs
// run_firewall_dir (/etc/qubes/qubes-firewall.d, then /rw/config/qubes-firewall.d unless custom-persist,
// each sorted(os.listdir), isfile and X_OK) and then run_user_script unless custom-persist.
describe('planFirewallHooks (upstream qubes-firewall order and conditions)', () => {
  it('uses the Qubes paths on a qube and prefixes them in the simulator', () => {
    assert.deepEqual(paths, {
      serviceFlag: '/run/qubes-service/qubes-firewall',
      customPersistFlag: '/run/qubes-service/custom-persist',
      systemDir: '/etc/qubes/qubes-firewall.d',
      userDir: '/rw/config/qubes-firewall.d',
      userScript: '/rw/config/qubes-firewall-user-script',
    });
    assert.equal(firewallHookPaths('/sim/q/root').userScript, '/sim/q/root/rw/config/qubes-firewall-user-script');
  });

  it('runs nothing where the qubes-firewall service is off, whatever the files say', () => {
    const plan = planFirewallHooks(
      paths,
      observed({ serviceEnabled: false, systemDir: [exe('a')], userScript: { regularFile: true, executable: true } }),
    );
    assert.equal(plan.enabled, false);
    assert.match(plan.enabled ? '' : plan.reason, /qubes-firewall service is off/);
  });

  it('runs the system directory, then the user directory, each sorted, then the user script', () => {
    assert.deepEqual(
      order(
        observed({
          systemDir: [exe('20-b'), exe('10-a')],
          userDir: [exe('50-z'), exe('05-y')],
          userScript: { regularFile: true, executable: true },
        }),
      ),
      [
        '/etc/qubes/qubes-firewall.d/10-a',
        '/etc/qubes/qubes-firewall.d/20-b',
        '/rw/config/qubes-firewall.d/05-y',
        '/rw/config/qubes-firewall.d/50-z',
        '/rw/config/qubes-firewall-user-script',
      ],
    );
  });

  it('sorts by code point as Python does (upper case first, dotfiles and backups included)', () => {
    const names = ['b', 'B', '.hidden', 'a~', 'a', '\u{1F600}', '\uFB01'];
    assert.deepEqual(
      order(observed({ systemDir: names.map(exe) })).map((p) => p.split('/').pop()),
      ['.hidden', 'B', 'a', 'a~', 'b', '\uFB01', '\u{1F600}'],
    );
    assert.ok(compareCodePoints('\uFB01', '\u{1F600}') < 0, 'U+FB01 sorts before U+1F600 by code point');
  });

  it('skips what is not a regular executable file, and says why', () => {
    const plan = planFirewallHooks(
      paths,
      observed({
        systemDir: [
          { ...exe('10-off'), executable: false },
          { ...exe('20-dir'), regularFile: false },
          exe('30-on'),
          { name: undefined, displayName: '\\u00ff', regularFile: true, executable: true },
        ],
        userScript: { regularFile: true, executable: false },
      }),
    );
    assert.ok(plan.enabled);
    assert.deepEqual(plan.scripts, [{ path: '/etc/qubes/qubes-firewall.d/30-on', origin: 'system-dir' }]);
    assert.deepEqual(plan.skipped, [
      { path: '/etc/qubes/qubes-firewall.d/10-off', reason: 'not executable' },
      { path: '/etc/qubes/qubes-firewall.d/20-dir', reason: 'not a regular file' },
      { path: '/etc/qubes/qubes-firewall.d/\\u00ff', reason: 'its name is not valid UTF-8' },
      { path: '/rw/config/qubes-firewall-user-script', reason: 'not executable' },
    ]);
  });

  it('with custom-persist on, runs only the system directory', () => {
    const plan = planFirewallHooks(
      paths,
      observed({
        customPersist: true,
        systemDir: [exe('10-a')],
        userDir: [exe('05-y')],
        userScript: { regularFile: true, executable: true },
      }),
    );
    assert.ok(plan.enabled);
    assert.deepEqual(
      plan.scripts.map((s) => s.path),
      ['/etc/qubes/qubes-firewall.d/10-a'],
    );
    assert.deepEqual(
      plan.skipped.map((s) => s.reason),
      ['custom-persist is on', 'custom-persist is on'],
    );
  });

  it('with nothing there, plans nothing', () => {
    assert.deepEqual(order(observed()), []);
  });
});
