// Faults: a Redis that keeps its connections open but stops answering (frozen, or cut off by a partition) must not
// hold requests forever. Events are still acknowledged and stored within the command timeout, and the API answers
// reads; when Redis answers again, the online state catches up.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { gqlOk, waitFor } from '../utils/graphqlClient';
import { startPrivateRedis, type PrivateRedis } from '../utils/privateRedis';

describe('Redis that stops answering', () => {
  let env: TestEnv;
  let sys: TestSystem;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await createTestEnv({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' });
    sys = await startTestSystem(env);
    await trainPlantedShop(sys);
  });

  afterAll(async () => {
    redis?.resume();
    await sys?.stop();
    await env?.drop();
    await redis?.stop();
  });

  it('acknowledges and stores events within the command timeout, and catches up when Redis answers again', async () => {
    redis.pause();
    try {
      const started = Date.now();
      for (let k = 0; k < 3; k++) {
        const res = await gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
          i: { eventId: `frozen-${k}`, userId: 'frozen-user', itemId: `p-books-${k}`, type: 'VIEW' },
        });
        expect(res.trackEvent.accepted).toBe(true);
      }
      // Each event waits out at most a few command timeouts (500 ms here), not forever.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await sys.services.db.event.count({ where: { userId: 'frozen-user' } })).toBe(3);
      const during = await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "frozen-user", limit: 3) { items { item { id } } } }`);
      expect(during.recommendations.items.length).toBeGreaterThan(0);
      // A personalised search still answers, and stores its SEARCH event.
      const found = await gqlOk(sys.url, env.clientKey, `query { search(query: "book", userId: "frozen-user", limit: 3) { items { item { id } } } }`);
      expect(found.search.items.length).toBeGreaterThan(0);
      expect(await sys.services.db.event.count({ where: { userId: 'frozen-user', type: 'SEARCH' } })).toBe(1);
    } finally {
      redis.resume();
    }
    const state = await waitFor(
      async () => {
        const hist = await sys.services.redis.lrange(sys.services.keys.user('frozen-user', 'hist'), 0, -1).catch(() => []);
        return hist.length === 3 ? hist : null;
      },
      30_000,
      200,
    );
    expect(state.map((h) => JSON.parse(h)[0]).reverse()).toEqual([0, 1, 2].map((k) => `p-books-${k}`));
  }, 90_000);
});
