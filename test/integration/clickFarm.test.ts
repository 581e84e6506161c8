// A click farm (many brand-new users hammering one item) is detected: its events are stored but flagged,
// so a retrain leaves trending unchanged, and admins can list the flagged users. A fast bot is flagged too.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gql, gqlOk } from '../utils/graphqlClient';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';

describe('click farm and bot detection', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const trendingQuery = `query { trending(limit: 5) { items { item { id } } } }`;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    sys = await startTestSystem(env);
    await sys.services.items.upsert(plantedItems());
    // History arrives as an import would: spread out, from users the detector knows.
    await sys.services.events.trackBatch(plantedEvents());
    await sys.services.training.retrain(['pop', 'itemknn']);
    await sys.services.activeModel.refresh();
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('keeps trending unchanged after a click-farm burst and a retrain', async () => {
    const before = (await gqlOk(sys.url, env.clientKey, trendingQuery)).trending.items.map((i: { item: { id: string } }) => i.item.id);
    const target = 'p-toys-9';
    expect(before).toHaveLength(5);
    expect(before).not.toContain(target);
    for (let u = 0; u < 80; u++) {
      const res = await gqlOk(sys.url, env.clientKey, `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted } }`, {
        inputs: [
          { userId: `farm-${u}`, itemId: target, type: 'VIEW' },
          { userId: `farm-${u}`, itemId: target, type: 'PURCHASE' },
        ],
      });
      expect(res.trackEvents.accepted).toBe(2); // stored, never dropped
    }
    expect(await sys.services.db.event.count({ where: { itemId: target, userId: { startsWith: 'farm-' } } })).toBe(160);
    expect(await sys.services.db.event.count({ where: { itemId: target, userId: { startsWith: 'farm-' }, flagged: false } })).toBe(0);
    const retrained = await sys.services.training.retrain(['pop', 'itemknn']);
    await sys.services.activeModel.refresh();
    expect(sys.services.activeModel.versionId).toBe(retrained.served.id);
    const after = (await gqlOk(sys.url, env.clientKey, trendingQuery)).trending.items.map((i: { item: { id: string } }) => i.item.id);
    expect(after).toEqual(before);
    const flagged = await gqlOk(sys.url, env.adminKey, `query { flaggedUsers(limit: 200) { userId reason } }`);
    expect(flagged.flaggedUsers.filter((f: { userId: string }) => f.userId.startsWith('farm-')).length).toBe(80);
    const forbidden = await gql(sys.url, env.clientKey, `query { flaggedUsers { userId } }`);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('flags a user sending events faster than any shopper', async () => {
    const inputs = Array.from({ length: 400 }, (_, k) => ({ userId: 'speedy-bot', itemId: `p-books-${k % 10}`, type: 'CLICK' }));
    await gqlOk(sys.url, env.clientKey, `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted } }`, { inputs });
    expect(await sys.services.db.event.count({ where: { userId: 'speedy-bot' } })).toBe(400);
    expect(await sys.services.db.event.count({ where: { userId: 'speedy-bot', flagged: true } })).toBe(100);
  });
});
