// Faults: with Redis down, events are still acknowledged and stored; when Redis returns (empty, as after a
// crash), the catch-up sweeper re-requests the online updates and the user's state is rebuilt from Postgres.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { gqlOk, waitFor } from '../utils/graphqlClient';
import { startPrivateRedis, type PrivateRedis } from '../utils/privateRedis';

describe('Redis outage', () => {
  let env: TestEnv;
  let sys: TestSystem;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await createTestEnv({ REDIS_URL: redis.url });
    sys = await startTestSystem(env);
    await trainPlantedShop(sys);
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
    await redis?.stop();
  });

  it('acknowledges and stores events while Redis is down, and catches up when it returns', async () => {
    await redis.stop();
    const started = Date.now();
    for (let k = 0; k < 5; k++) {
      const res = await gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
        i: { eventId: `outage-${k}`, userId: 'outage-user', itemId: `p-books-${k}`, type: 'VIEW' },
      });
      expect(res.trackEvent.accepted).toBe(true);
    }
    // Acknowledged promptly (bounded wait on the queue), and durably in Postgres.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await sys.services.db.event.count({ where: { userId: 'outage-user' } })).toBe(5);
    // Lists still come from Postgres while Redis is away.
    const during = await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "outage-user", limit: 3) { items { item { id } } } }`);
    expect(during.recommendations.items.length).toBeGreaterThan(0);

    await redis.start();
    const state = await waitFor(
      async () => {
        const hist = await sys.services.redis.lrange(sys.services.keys.user('outage-user', 'hist'), 0, -1).catch(() => []);
        return hist.length === 5 ? hist : null;
      },
      30_000,
      200,
    );
    expect(state.map((h) => JSON.parse(h)[0]).reverse()).toEqual([0, 1, 2, 3, 4].map((k) => `p-books-${k}`));
  }, 60_000);
});
