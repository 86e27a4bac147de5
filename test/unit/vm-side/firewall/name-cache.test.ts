import assert from 'node:assert/strict';
import { MAX_TTL_S, MIN_TTL_S, NameCache, RETRY_S } from '../../../../vm-side/firewall/name-cache';
import { T0, TableResolver } from './fixtures';

describe('NameCache', () => {
  it('looks a name up again only once its TTL ran out', async () => {
    const resolver = new TableResolver();
    resolver.answers.set('a.example', { ip: { addresses: ['192.0.2.1'], ttl: 60 }, ip6: { addresses: [] } });
    const cache = new NameCache(resolver);
    await cache.refresh(['a.example'], T0);
    await cache.refresh(['a.example'], T0 + 59_999);
    assert.deepEqual(resolver.lookups, ['a.example']);
    assert.equal(cache.nextExpiry(), T0 + 60_000);
    await cache.refresh(['a.example'], T0 + 60_000);
    assert.deepEqual(resolver.lookups, ['a.example', 'a.example']);
  });

  it('sorts and canonicalises answers, and drops non-literals a resolver might return', async () => {
    const resolver = new TableResolver();
    resolver.answers.set('b.example', {
      ip: { addresses: ['192.0.2.9', '192.0.2.1', 'not-an-ip', '2001:db8::1'], ttl: 300 },
      ip6: { addresses: ['2001:DB8:0:0::5'], ttl: 300 },
    });
    const cache = new NameCache(resolver);
    await cache.refresh(['b.example'], T0);
    assert.deepEqual(cache.table().get('b.example'), {
      ip: { addresses: ['192.0.2.1', '192.0.2.9'] },
      ip6: { addresses: ['2001:db8::5'] },
    });
  });

  it('bounds TTLs and retries a failed family soon', async () => {
    const resolver = new TableResolver();
    resolver.answers.set('zero.example', { ip: { addresses: ['192.0.2.1'], ttl: 0 }, ip6: { addresses: [] } });
    resolver.answers.set('huge.example', { ip: { addresses: ['192.0.2.2'], ttl: 10 ** 6 }, ip6: { addresses: [] } });
    resolver.answers.set('half.example', { ip: { addresses: ['192.0.2.3'], ttl: 3600 }, ip6: { error: 'ETIMEOUT' } });
    const cache = new NameCache(resolver);
    await cache.refresh(['zero.example'], T0);
    assert.equal(cache.nextExpiry(), T0 + MIN_TTL_S * 1000);
    const other = new NameCache(resolver);
    await other.refresh(['huge.example'], T0);
    assert.equal(other.nextExpiry(), T0 + MAX_TTL_S * 1000);
    const third = new NameCache(resolver);
    await third.refresh(['half.example'], T0);
    assert.equal(third.nextExpiry(), T0 + RETRY_S * 1000);
  });

  it('turns a throwing resolver into a failed answer instead of failing the document', async () => {
    const cache = new NameCache({ resolve: () => Promise.reject(new Error('socket closed')) });
    await cache.refresh(['c.example'], T0);
    assert.deepEqual(cache.table().get('c.example'), {
      ip: { error: 'lookup failed' },
      ip6: { error: 'lookup failed' },
    });
  });

  it('keeps the same answer object when a re-lookup changes nothing, and forgets unused names', async () => {
    const resolver = new TableResolver();
    resolver.answers.set('a.example', { ip: { addresses: ['192.0.2.1'], ttl: 10 }, ip6: { addresses: [] } });
    const cache = new NameCache(resolver);
    await cache.refresh(['a.example'], T0);
    const first = cache.table().get('a.example');
    await cache.refresh(['a.example'], T0 + 20_000);
    assert.equal(cache.table().get('a.example'), first);
    cache.retain(new Set());
    assert.equal(cache.table().size, 0);
    assert.equal(cache.nextExpiry(), undefined);
  });
});
