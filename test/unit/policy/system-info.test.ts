import assert from 'node:assert/strict';
import { DOM0_UUID, parseSystemInfo, pyTruthy } from '../../../policy/system-info/system-info';

describe('policy/system-info', () => {
  it('files every qube under its name and, as get_system_info() does, under uuid:UUID', () => {
    const info = parseSystemInfo({ domains: { work: { uuid: 'u1' }, dom0: { type: 'AdminVM', uuid: DOM0_UUID } } });
    assert.deepEqual([...info.domains.keys()], ['work', 'dom0']);
    assert.equal(info.lookup.get('uuid:u1')?.name, 'work');
    assert.equal(info.lookup.get(`uuid:${DOM0_UUID}`)?.name, 'dom0');
  });

  it('describes dom0 as qubesd would when the document leaves it or its fields out', () => {
    const info = parseSystemInfo({ domains: { work: { uuid: 'u1' } } });
    const dom0 = info.domains.get('dom0');
    assert.equal(dom0?.type, 'AdminVM');
    assert.equal(dom0?.powerState, 'Running');
    assert.equal(dom0?.uuid, DOM0_UUID);
    assert.equal(info.domains.get('work')?.powerState, 'Halted');
    assert.equal(parseSystemInfo({ domains: { dom0: {} } }).domains.get('dom0')?.uuid, DOM0_UUID);
  });

  it('gives a qube without uuid no uuid: alias, and ignores uuid: keys in the document', () => {
    const info = parseSystemInfo({ domains: { work: {}, 'uuid:x': { uuid: 'x' } } });
    assert.equal(info.domains.get('work')?.uuid, null);
    assert.equal(info.domains.has('uuid:x'), false);
    assert.deepEqual([...info.lookup.keys()].sort(), ['dom0', 'uuid:00000000-0000-0000-0000-000000000000', 'work']);
  });

  it('reads flags by Python truth, as upstream tests them', () => {
    for (const v of [true, 1, 'x', [0], { a: 1 }]) assert.equal(pyTruthy(v), true, JSON.stringify(v));
    for (const v of [false, 0, '', [], {}, null, undefined]) assert.equal(pyTruthy(v), false, JSON.stringify(v));
    const info = parseSystemInfo({ domains: { a: { template_for_dispvms: 1, internal: 'yes' }, b: { internal: 0 } } });
    assert.equal(info.domains.get('a')?.templateForDispvms, true);
    assert.equal(info.domains.get('a')?.internal, true);
    assert.equal(info.domains.get('b')?.internal, false);
  });
});
