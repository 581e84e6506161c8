// The spine end to end over the real HTTP and WebSocket endpoints, Postgres, Redis and BullMQ workers:
// upsert a catalogue, track events, train, query, and receive a push after an event that changes a list.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { collect, gql, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { complementOf, plantedEvents, plantedItems } from '../fixtures/plantedShop';

const LIST = `recommId userId modelVersion generatedAt items { score item { id title category } reasons { source weight explanation } }`;

describe('server end to end', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await gqlOk(sys.url, env.adminKey, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, { items: plantedItems() });
    const events = plantedEvents();
    for (let i = 0; i < events.length; i += 100) {
      const res = await gqlOk<{ trackEvents: { accepted: number } }>(
        sys.url,
        env.clientKey,
        `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted rejected } }`,
        { inputs: events.slice(i, i + 100) },
      );
      expect(res.trackEvents.accepted).toBe(Math.min(100, events.length - i));
    }
    // The worker queued an initial training at start only if events existed; ask for one explicitly.
    await sys.services.retrainProducer.request({ models: ['pop', 'itemknn'], full: true, requestedBy: 'admin' });
    await waitFor(async () => sys.services.activeModel.get(), 60000);
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('serves personal recommendations with the planted complement first, naming the model version', async () => {
    const data = await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "p-shopper-0", limit: 5) { ${LIST} } }`);
    const list = data.recommendations;
    expect(list.modelVersion).toMatch(/^v\d+/);
    expect(list.recommId).toBeTruthy();
    expect(list.items.length).toBeGreaterThan(0);
    // shopper 0 shops outdoor: the list stays in the category they showed interest in.
    expect(list.items[0].item.category).toBe('outdoor');
    expect(list.items[0].reasons.length).toBeGreaterThan(0);
  });

  it('pushes a refreshed list to a subscriber when an event changes it', async () => {
    const client = wsClient(sys.url, env.clientKey);
    const sub = collect<{ recommendationsUpdated: { items: { item: { id: string } }[]; modelVersion: string } }>(
      client,
      `subscription { recommendationsUpdated(userId: "newcomer", limit: 5) { ${LIST} } }`,
      {},
    );
    try {
      // Let the subscription reach Redis before the event.
      await new Promise((r) => setTimeout(r, 300));
      const touched = 'p-kitchen-2';
      await gqlOk(sys.url, env.clientKey, `mutation { trackEvent(input: { userId: "newcomer", itemId: "${touched}", type: VIEW }) { accepted } }`);
      const push = await sub.next((v) => v.recommendationsUpdated.items.length > 0);
      const ids = push.recommendationsUpdated.items.map((i) => i.item.id);
      expect(ids[0]).toBe(complementOf(touched));
      expect(ids).not.toContain(touched);
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });

  it('stores an event once when its eventId is repeated, and flags unknown items', async () => {
    const mutation = `mutation($input: EventInput!) { trackEvent(input: $input) { eventId accepted duplicate unknownItem } }`;
    const input = { eventId: 'dup-1', userId: 'dup-user', itemId: 'not-in-catalogue', type: 'CLICK' };
    const first = await gqlOk(sys.url, env.clientKey, mutation, { input });
    const second = await gqlOk(sys.url, env.clientKey, mutation, { input });
    expect(first.trackEvent).toEqual({ eventId: 'dup-1', accepted: true, duplicate: false, unknownItem: true });
    expect(second.trackEvent).toMatchObject({ accepted: false, duplicate: true });
    expect(await sys.services.db.event.count({ where: { eventId: 'dup-1' } })).toBe(1);
  });

  it('reports invalid events of a batch by position and stores the valid ones', async () => {
    const data = await gqlOk(
      sys.url,
      env.clientKey,
      `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted rejected errors { index code message } results { index result { eventId } } } }`,
      {
        inputs: [
          { eventId: 'batch-ok-1', userId: 'batch-user', itemId: 'p-books-1', type: 'VIEW' },
          { eventId: 'batch-bad', userId: 'batch-user', type: 'VIEW' },
          { eventId: 'batch-ok-2', userId: 'batch-user', itemId: 'p-books-2', type: 'VIEW', value: 1.5 },
        ],
      },
    );
    expect(data.trackEvents.accepted).toBe(2);
    expect(data.trackEvents.errors).toEqual([expect.objectContaining({ index: 1, code: 'BAD_USER_INPUT' })]);
    const stored = await sys.services.db.event.findMany({ where: { userId: 'batch-user' }, select: { eventId: true } });
    expect(stored.map((e) => e.eventId).sort()).toEqual(['batch-ok-1', 'batch-ok-2']);
  });

  it('answers bad requests with clear error codes and stores nothing', async () => {
    const noKey = await gql(sys.url, null, `query { trending { recommId } }`);
    expect(noKey.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const wrongKey = await gql(sys.url, 'not-a-key', `query { trending { recommId } }`);
    expect(wrongKey.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const client = await gql(sys.url, env.clientKey, `mutation { upsertItems(items: [{ id: "x", title: "X" }]) }`);
    expect(client.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await sys.services.db.item.count({ where: { id: 'x' } })).toBe(0);
    const missing = await gql(sys.url, env.clientKey, `query { similarItems(itemId: "nope") { recommId } }`);
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const badEnum = await gql(sys.url, env.clientKey, `mutation { trackEvent(input: { userId: "u", itemId: "i", type: TELEPORT }) { accepted } }`);
    expect(badEnum.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badLimit = await gql(sys.url, env.clientKey, `query { recommendations(userId: "u", limit: 100000) { recommId } }`);
    expect(badLimit.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badItems = await gql(sys.url, env.adminKey, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, {
      items: [
        { id: 'good-item', title: 'Fine' },
        { id: 'bad-item', title: 'Costs', price: -3 },
      ],
    });
    expect(badItems.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await sys.services.db.item.count({ where: { id: { in: ['good-item', 'bad-item'] } } })).toBe(0);
    const control = await gql(sys.url, env.clientKey, `mutation { trackEvent(input: { userId: "a\\u0001b", itemId: "i", type: VIEW }) { accepted } }`);
    expect(control.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await sys.services.db.event.count({ where: { userId: 'a\u0001b' } })).toBe(0);
  });

  it('serves trending, similar items, item and user queries', async () => {
    const data = await gqlOk(
      sys.url,
      env.clientKey,
      `query {
        trending(limit: 3, category: "toys") { items { item { id category } } }
        similarItems(itemId: "p-outdoor-1", limit: 3) { items { item { id } } }
        item(id: "p-books-3") { id title tags inStock }
        user(id: "p-shopper-1") { id eventCount }
      }`,
    );
    expect(data.trending.items.length).toBe(3);
    expect(data.trending.items.every((i: { item: { category: string } }) => i.item.category === 'toys')).toBe(true);
    expect(data.similarItems.items[0].item.id).toBe(complementOf('p-outdoor-1'));
    expect(data.item).toEqual({ id: 'p-books-3', title: 'books item 3', tags: ['books', 'tag-3'], inStock: true });
    expect(data.user).toEqual({ id: 'p-shopper-1', eventCount: 6 });
    const events = await gql(sys.url, env.clientKey, `query { user(id: "p-shopper-1") { events { eventId } } }`);
    expect(events.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('deleteUser erases the user everywhere', async () => {
    await gqlOk(sys.url, env.clientKey, `mutation { trackEvent(input: { userId: "leaver", itemId: "p-toys-1", type: VIEW }) { accepted } }`);
    // A search leaves intent behind too (it steers the visit's recommendations).
    await gqlOk(sys.url, env.clientKey, `query { search(query: "toys", userId: "leaver") { total } }`);
    await waitFor(async () => (await sys.services.redis.exists(sys.services.keys.user('leaver', 'state'))) === 1);
    expect(await sys.services.redis.exists(sys.services.keys.user('leaver', 'intent'))).toBe(1);
    const data = await gqlOk(sys.url, env.adminKey, `mutation { deleteUser(id: "leaver") }`);
    expect(data.deleteUser).toBe(true);
    expect(await sys.services.db.event.count({ where: { userId: 'leaver' } })).toBe(0);
    expect(await sys.services.redis.exists(...sys.services.keys.allOfUser('leaver'))).toBe(0);
    // No other key names them either, the fraud detector's per-minute counters included.
    expect(await sys.services.redis.keys(`${env.redisPrefix}:*leaver*`)).toEqual([]);
    const user = await gqlOk(sys.url, env.clientKey, `query { user(id: "leaver") { id } }`);
    expect(user.user).toBeNull();
  });
});
