import assert from 'node:assert/strict';
import { renderProgress } from '../../../../dom0-side/cli/commands/progress-bar';
import { cellText, formatTable } from '../../../../dom0-side/cli/commands/text-table';

describe('dom0-side/cli text output', () => {
  it('pads columns to their widest cell and leaves the last one ragged', () => {
    assert.equal(
      formatTable(
        ['QUBE', 'STATE', 'WHY'],
        [
          ['sys-firewall', 'ok', ''],
          ['w', 'failed', 'push failed'],
        ],
      ),
      ['QUBE          STATE   WHY', 'sys-firewall  ok', 'w             failed  push failed'].join('\n'),
    );
  });

  it('renders None as empty and lists as words', () => {
    assert.deepEqual([cellText(null), cellText(['a', 'b']), cellText(false), cellText(3)], ['', 'a b', 'false', '3']);
  });

  it('draws a progress bar proportional to the work done', () => {
    assert.equal(renderProgress(0, 0, 4, 10), '[..........] 0/4 pushes');
    assert.equal(renderProgress(2, 1, 4, 10), '[#####.....] 2/4 pushes, 1 failed');
    assert.equal(renderProgress(12, 0, 120, 10), '[#.........]  12/120 pushes');
    assert.equal(renderProgress(0, 0, 0, 4), '[####] 0/0 pushes');
  });
});
