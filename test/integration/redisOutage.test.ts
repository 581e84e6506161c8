// Faults: with Redis down, or frozen with its connections open, events are still acknowledged and stored and the
// API answers; when Redis answers again (empty, as after a crash, or as it was) the catch-up sweeper re-requests the
// online updates and the user's state is rebuilt from Postgres.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { gql, gqlOk, waitFor } from '../utils/graphqlClient';
import { startPrivateRedis, type PrivateRedis } from '../utils/privateRedis';

describe('Redis outage', () => {
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

  /** Sends `count` VIEWs of p-books-0.. for the user; each must be acknowledged, all within `withinMs`. */
  async function trackViews(userId: string, count: number, withinMs: number): Promise<void> {
    const started = Date.now();
    for (let k = 0; k < count; k++) {
      const res = await gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
        i: { eventId: `${userId}-${k}`, userId, itemId: `p-books-${k}`, type: 'VIEW' },
      });
      expect(res.trackEvent.accepted).toBe(true);
    }
    expect(Date.now() - started).toBeLessThan(withinMs);
    expect(await sys.services.db.event.count({ where: { userId } })).toBe(count);
    // Lists still come from Postgres while Redis is away.
    const list = await gqlOk(sys.url, env.clientKey, `query($u: ID!) { recommendations(userId: $u, limit: 3) { items { item { id } } } }`, { u: userId });
    expect(list.recommendations.items.length).toBeGreaterThan(0);
  }

  /** Waits for the user's Redis history to hold p-books-0..count-1, in order. */
  async function expectCaughtUp(userId: string, count: number): Promise<void> {
    const state = await waitFor(
      async () => {
        const hist = await sys.services.redis.lrange(sys.services.keys.user(userId, 'hist'), 0, -1).catch(() => []);
        return hist.length === count ? hist : null;
      },
      30_000,
      200,
    );
    expect(state.map((h) => JSON.parse(h)[0]).reverse()).toEqual(Array.from({ length: count }, (_, k) => `p-books-${k}`));
  }

  it('acknowledges and stores events while Redis is down, and catches up when it returns', async () => {
    await redis.stop();
    // Acknowledged promptly (a command fails at once while Redis is away), and durably in Postgres.
    await trackViews('outage-user', 5, 10_000);
    await redis.start();
    await expectCaughtUp('outage-user', 5);
  }, 60_000);

  it('does the same when Redis stops answering but keeps its connections open', async () => {
    // Frozen (as in a network partition): commands get no reply, so only the command timeout (500 ms here) ends
    // their wait. Without it, trackEvent never answered.
    redis.pause();
    try {
      await trackViews('frozen-user', 3, 15_000);
      // A personalised search still answers, and stores its SEARCH event.
      const found = await gqlOk(sys.url, env.clientKey, `query { search(query: "book", userId: "frozen-user", limit: 3) { items { item { id } } } }`);
      expect(found.search.items.length).toBeGreaterThan(0);
      expect(await sys.services.db.event.count({ where: { userId: 'frozen-user', type: 'SEARCH' } })).toBe(1);
      // What cannot work without Redis says so instead of hanging: a retrain cannot be queued.
      const retrain = await gql(sys.url, env.adminKey, `mutation { retrain(models: ["pop"]) { id } }`);
      expect(retrain.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      redis.resume();
    }
    await expectCaughtUp('frozen-user', 3);
  }, 90_000);
});
