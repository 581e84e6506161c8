// With USER_ID_PSEUDONYM_KEY set, the shop's own user ids never reach Postgres or Redis, yet every API that
// takes a user id (events, lists, subscriptions, admin lookups and erasure) works with the id the shop sends.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { collect, gqlOk, wsClient } from '../utils/graphqlClient';
import { complementOf, plantedEvents } from '../fixtures/plantedShop';
import { UserIdPseudonymizer } from '../../src/domain/users/userIdPseudonymizer';

const KEY = 'pseudonym-test-key-0123456789abcdef';
const ALICE = 'alice@example.com';

describe('pseudonymised user ids', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const alice = new UserIdPseudonymizer(KEY).map(ALICE);

  beforeAll(async () => {
    env = await createTestEnv({ USER_ID_PSEUDONYM_KEY: KEY });
    sys = await startTestSystem(env);
    await trainPlantedShop(sys);
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('stores and serves a shopper under a keyed pseudonym, found again by the id the shop sends', async () => {
    expect(alice).toMatch(/^u_[A-Za-z0-9_-]{27}$/);
    const client = wsClient(sys.url, env.clientKey);
    const sub = collect<{ recommendationsUpdated: { userId: string; items: { item: { id: string } }[] } }>(
      client,
      `subscription($u: ID!) { recommendationsUpdated(userId: $u, limit: 3) { userId items { item { id } } } }`,
      { u: ALICE },
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      await gqlOk(sys.url, env.clientKey, `mutation($u: ID!) { trackEvent(input: { userId: $u, itemId: "p-outdoor-2", type: VIEW }) { accepted } }`, { u: ALICE });
      const push = await sub.next((p) => p.recommendationsUpdated.items[0]?.item.id === complementOf('p-outdoor-2'));
      expect(push.recommendationsUpdated.userId).toBe(alice);

      const list = await gqlOk(sys.url, env.clientKey, `query($u: ID!) { recommendations(userId: $u, limit: 1) { userId items { item { id } } } }`, { u: ALICE });
      expect(list.recommendations).toEqual({ userId: alice, items: [{ item: { id: complementOf('p-outdoor-2') } }] });
    } finally {
      sub.dispose();
      await client.dispose();
    }

    const user = await gqlOk(sys.url, env.adminKey, `query($u: ID!) { user(id: $u) { id eventCount } }`, { u: ALICE });
    expect(user.user).toEqual({ id: alice, eventCount: 1 });
  });

  it('keeps every raw id out of Postgres and Redis, for API events and the seeded batch alike', async () => {
    const rawIds = [ALICE, ...new Set(plantedEvents().map((e) => e.userId))];
    const db = sys.services.db;
    expect(await db.user.count({ where: { id: { in: rawIds } } })).toBe(0);
    expect(await db.event.count({ where: { userId: { in: rawIds } } })).toBe(0);
    expect(await db.event.count({ where: { userId: alice } })).toBe(1);
    expect(await db.user.count()).toBe(rawIds.length);

    const keys = await sys.services.redis.keys(`${env.redisPrefix}*`);
    expect(keys.some((k) => k.includes(alice))).toBe(true);
    expect(keys.filter((k) => rawIds.some((raw) => k.includes(raw)))).toEqual([]);
  });

  it('erases the shopper by the id the shop sends', async () => {
    expect(await gqlOk(sys.url, env.adminKey, `mutation($u: ID!) { deleteUser(id: $u) }`, { u: ALICE })).toEqual({ deleteUser: true });
    expect(await sys.services.db.event.count({ where: { userId: alice } })).toBe(0);
    const keys = await sys.services.redis.keys(`${env.redisPrefix}*${alice}*`);
    expect(keys).toEqual([]);
  });
});
