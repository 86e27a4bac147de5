import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Logger } from '../../../../shared/logging/logger';
import { FirewallHooks } from '../../../../vm-side/firewall-hooks/firewall-hooks';
import type { HookScanner } from '../../../../vm-side/firewall-hooks/hook-scanner';
import type { HookRunOutcome, HookScriptRunner } from '../../../../vm-side/firewall-hooks/hook-script-runner';
import type { FirewallHooksObserved } from '../../../../vm-side/firewall-hooks/planners/plan-firewall-hooks';
import type { NftTableObserver } from '../../../../vm-side/observers/nft-table-observer';
import type { NftTableState } from '../../../../vm-side/planners/nft-state';

const TABLE: NftTableState = { chains: new Map(), sets: new Map() };
const exe = (name: string) => ({ name, displayName: name, regularFile: true, executable: true });
const OBSERVED: FirewallHooksObserved = {
  serviceEnabled: true,
  customPersist: false,
  systemDir: [exe('10-fails'), exe('20-hangs')],
  userDir: undefined,
  userScript: { regularFile: true, executable: true },
};

function rig(opts: { observed?: FirewallHooksObserved; tablesAfter?: number; outcomes?: HookRunOutcome[] } = {}) {
  let looks = 0;
  const tables = {
    observe: sinon.fake(async (_family: string, _table: string) =>
      ++looks > 2 * (opts.tablesAfter ?? 0) ? TABLE : undefined,
    ),
  } satisfies NftTableObserver;
  const scanner: HookScanner = { scan: sinon.fake.resolves(opts.observed ?? OBSERVED) };
  const outcomes = [...(opts.outcomes ?? [])];
  const runner = {
    run: sinon.fake(
      async (_path: string, _opts: { timeoutMs: number }): Promise<HookRunOutcome> =>
        outcomes.shift() ?? { kind: 'exited', exitCode: 0, ms: 1 },
    ),
  } satisfies HookScriptRunner;
  const log = { debug: sinon.fake(), info: sinon.fake(), warn: sinon.fake(), error: sinon.fake() } satisfies Logger;
  const sleep = sinon.fake.resolves(undefined);
  const hooks = new FirewallHooks({ hooksRoot: '/r', hookTimeoutMs: 1234 }, scanner, runner, tables, sleep, log);
  return { hooks, runner, log, sleep, tables };
}

describe('FirewallHooks (when and how the agent runs the user firewall scripts)', () => {
  it('runs every planned script in order, each with the timeout; a failure or a timeout does not stop the next', async () => {
    const r = rig({
      outcomes: [
        { kind: 'exited', exitCode: 3, ms: 5 },
        { kind: 'timed-out', timeoutMs: 1234, ms: 1300 },
      ],
    });
    const report = await r.hooks.runWhenTablesExist();
    assert.deepEqual(
      r.runner.run.getCalls().map((c) => c.args[0]),
      [
        '/r/etc/qubes/qubes-firewall.d/10-fails',
        '/r/etc/qubes/qubes-firewall.d/20-hangs',
        '/r/rw/config/qubes-firewall-user-script',
      ],
    );
    assert.equal(r.runner.run.firstCall.args[1].timeoutMs, 1234);
    assert.equal(report?.outcomes.length, 3);
    const warnings = r.log.warn.getCalls().map((c) => c.args[0] as string);
    assert.deepEqual(warnings, [
      'firewall hook /r/etc/qubes/qubes-firewall.d/10-fails failed with exit status 3 after 5 ms',
      'firewall hook /r/etc/qubes/qubes-firewall.d/20-hangs timed out after 1234 ms; it and its process group were killed',
    ]);
    sinon.assert.calledWith(r.log.info, 'firewall hooks done', { ran: 3, failed: 2 });
  });

  it('waits for the qubes and qubes-firewall tables before running anything', async () => {
    const r = rig({ tablesAfter: 3 });
    await r.hooks.runWhenTablesExist();
    assert.equal(r.sleep.callCount, 3);
    assert.deepEqual(
      r.tables.observe
        .getCalls()
        .slice(0, 2)
        .map((c) => c.args),
      [
        ['ip', 'qubes'],
        ['ip', 'qubes-firewall'],
      ],
    );
    assert.ok(r.runner.run.calledAfter(r.sleep));
  });

  it('where the qubes-firewall service is off: no wait, no script', async () => {
    const r = rig({ observed: { ...OBSERVED, serviceEnabled: false }, tablesAfter: 100 });
    assert.equal(await r.hooks.runWhenTablesExist(), undefined);
    sinon.assert.notCalled(r.runner.run);
    sinon.assert.notCalled(r.tables.observe);
  });

  it('a stopping agent starts no further script', async () => {
    const r = rig();
    r.runner.run = sinon.fake(async (_path: string, _opts: { timeoutMs: number }): Promise<HookRunOutcome> => {
      await r.hooks.dispose();
      return { kind: 'aborted', ms: 1 };
    });
    const report = await r.hooks.runWhenTablesExist();
    assert.equal(report?.outcomes.length, 1);
  });
});
