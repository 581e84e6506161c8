// The API's item cache on real Postgres and Redis: loaded at start up to its size, bounded by shedding its oldest
// entries (not by clearing), and never stale after an upsert from any process.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { waitFor } from '../utils/graphqlClient';
import { ItemService } from '../../src/domain/items/itemService';

describe('item cache', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const ids = Array.from({ length: 10 }, (_, k) => `cache-${k}`);
  const cachedOf = (s: ItemService) => (s as unknown as { cache: Map<string, unknown> }).cache;

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    // The upsert's change notice must arrive before the caches below warm: one warming while it arrives rightly
    // skips those items.
    let noticed = false;
    const stop = await sys.services.pubsub.on('items:changed', () => (noticed = true));
    await sys.services.items.upsert(ids.map((id, k) => ({ id, title: `Item ${k}`, category: 'Test' })));
    await waitFor(async () => noticed, 5000);
    await stop();
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('loads at most its size, stays bounded when more is read, and answers every item right', async () => {
    const small = new ItemService(sys.services.db, sys.services.pubsub, 4);
    await small.start();
    expect(await small.warm()).toBe(4);
    expect([...cachedOf(small).keys()]).toEqual(ids.slice(0, 4));
    const all = await small.getMany([...ids, 'no-such-item']);
    expect([...all.keys()].sort()).toEqual([...ids].sort());
    expect(all.get('cache-7')?.title).toBe('Item 7');
    // Over its size it sheds the oldest entries: the newest reads stay.
    expect(cachedOf(small).size).toBeLessThanOrEqual(4);
    expect(cachedOf(small).has('no-such-item')).toBe(true);
    expect(cachedOf(small).has('cache-0')).toBe(false);
  });

  it('drops an item another process upserted, so the next read sees the change', async () => {
    const cache = new ItemService(sys.services.db, sys.services.pubsub, 100);
    await cache.start();
    await cache.warm();
    expect((await cache.get('cache-3'))?.title).toBe('Item 3');
    await sys.services.items.upsert([{ id: 'cache-3', title: 'Renamed', category: 'Test' }]);
    await waitFor(async () => ((await cache.get('cache-3'))?.title === 'Renamed' ? true : null), 5000);
  });
});
