import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_SOCKET_NAME, QREXEC_SOCKET_NAME } from '../../../../dom0-side/daemon/daemon-config';

/** dist/test/unit/vm-side/install → the source tree, whose packaging folders ship as they are. */
const REPO = join(__dirname, '..', '..', '..', '..', '..');
const shipped = (dir: string) =>
  readdirSync(join(REPO, dir)).map((name) => ({ name, text: readFileSync(join(REPO, dir, name), 'utf8') }));
const units = [...shipped('vm-side/packaging'), ...shipped('dom0-side/packaging')].filter((f) =>
  f.name.endsWith('.service'),
);
/** The lines of a unit's [Service] section. */
const serviceSection = (text: string) => {
  const start = text.indexOf('[Service]\n');
  const rest = text.slice(start + '[Service]\n'.length);
  const end = rest.search(/^\[/m);
  return (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l && !l.startsWith('#'));
};

describe('shipped packaging', () => {
  it('has units to check', () =>
    assert.deepEqual(units.map((u) => u.name).sort(), [
      'qnet-agent-init.service',
      'qnet-agent.service',
      'qnetd.service',
    ]));

  for (const unit of units) {
    it(`${unit.name}: UMask=0077, so nothing it creates is readable by others unless it says so`, () => {
      assert.ok(serviceSection(unit.text).includes('UMask=0077'), unit.text);
    });
  }

  it('qnet-agent.service never leaves its socket behind: ExecStopPost removes it, the directory is not kept', () => {
    const lines = serviceSection(units.find((u) => u.name === 'qnet-agent.service')!.text);
    assert.ok(lines.includes('ExecStopPost=/bin/rm -f @SOCKET@'), lines.join('\n'));
    assert.equal(lines.filter((l) => l.startsWith('RuntimeDirectoryPreserve=')).length, 0);
    assert.ok(lines.includes('ExecStart=@AGENT_BIN@ serve --socket @SOCKET@'));
  });

  it('qnetd.service removes both its sockets after every stop and does not keep its runtime directory', () => {
    const lines = serviceSection(units.find((u) => u.name === 'qnetd.service')!.text);
    const post = lines.find((l) => l.startsWith('ExecStopPost='));
    assert.equal(post, `ExecStopPost=/bin/rm -f @RUN_DIR@/${QREXEC_SOCKET_NAME} @RUN_DIR@/${ADMIN_SOCKET_NAME}`);
    assert.equal(lines.filter((l) => l.startsWith('RuntimeDirectoryPreserve=')).length, 0);
  });

  it('the qrexec fallback hands qrexec’s argv[1] on, after --', () => {
    const wrapper = shipped('vm-side/packaging').find((f) => f.name === 'qrexec-service.sh')!.text;
    const runs = wrapper.split('\n').filter((l) => /\bservice '@SERVICE@'/.test(l));
    assert.equal(runs.length, 2);
    for (const line of runs) assert.match(line, /service '@SERVICE@' -- "\$@"$/);
  });
});
