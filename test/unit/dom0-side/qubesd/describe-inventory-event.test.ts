import assert from 'node:assert/strict';
import { describeInventoryEvent } from '../../../../dom0-side/qubesd/describe-inventory-event';

const ev = (subject: string | null, event: string, kwargs: Record<string, string> = {}) => ({ subject, event, kwargs });

describe('describeInventoryEvent', () => {
  it('names the events that change the inventory', () => {
    assert.equal(describeInventoryEvent(ev('work', 'domain-start')), 'domain-start work');
    assert.equal(describeInventoryEvent(ev('work', 'domain-shutdown')), 'domain-shutdown work');
    assert.equal(describeInventoryEvent(ev(null, 'domain-add', { vm: 'new' })), 'domain-add new');
    assert.equal(describeInventoryEvent(ev(null, 'domain-delete', { vm: 'old' })), 'domain-delete old');
    assert.equal(describeInventoryEvent(ev('work', 'property-set:netvm')), 'property-set:netvm work');
    assert.equal(describeInventoryEvent(ev('work', 'property-reset:netvm')), 'property-reset:netvm work');
    assert.equal(describeInventoryEvent(ev('work', 'property-del:ip')), 'property-del:ip work');
    assert.equal(
      describeInventoryEvent(ev('sys-net', 'property-set:provides_network')),
      'property-set:provides_network sys-net',
    );
    assert.equal(describeInventoryEvent(ev('sys-net', 'domain-feature-set:ipv6')), 'domain-feature-set:ipv6 sys-net');
    assert.equal(
      describeInventoryEvent(ev('sys-net', 'domain-feature-delete:ipv6')),
      'domain-feature-delete:ipv6 sys-net',
    );
    assert.equal(describeInventoryEvent(ev('work', 'firewall-changed')), 'firewall-changed work');
    assert.equal(describeInventoryEvent(ev('work', 'domain-tag-add:x')), 'domain-tag-add:x work');
    assert.equal(describeInventoryEvent(ev(null, 'property-set:default_netvm')), 'property-set:default_netvm');
  });

  it('ignores pre-events and properties the inventory does not read', () => {
    assert.equal(describeInventoryEvent(ev('work', 'property-pre-set:netvm')), undefined);
    assert.equal(describeInventoryEvent(ev('work', 'property-set:label')), undefined);
    assert.equal(describeInventoryEvent(ev('work', 'domain-pre-start')), undefined);
    assert.equal(describeInventoryEvent(ev('work', 'domain-feature-pre-set:ipv6')), undefined);
    assert.equal(describeInventoryEvent(ev(null, 'property-set:clockvm')), undefined);
    assert.equal(describeInventoryEvent(ev('work', 'vm-stats')), undefined);
  });
});
