// The online path's guarantees: a burst of events for one shopper coalesces into a few pushes, pushes never
// go back in time, the last push reflects the last event, and lists are computed only for shoppers someone watches.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { collect, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { complementOf, plantedItems } from '../fixtures/plantedShop';

describe('online pushes', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await trainPlantedShop(sys);
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('coalesces a burst of 50 events into a few pushes, in order, ending on the latest state', async () => {
    const client = wsClient(sys.url, env.clientKey);
    const sub = collect<{ recommendationsUpdated: { recommId: string; items: { item: { id: string } }[] } }>(
      client,
      `subscription { recommendationsUpdated(userId: "burst", limit: 3) { recommId items { item { id } } } }`,
      {},
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      const items = plantedItems().map((i) => i.id);
      const burst = Array.from({ length: 50 }, (_, k) =>
        gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
          i: { eventId: `burst-${k}`, userId: 'burst', itemId: items[k % 8], type: 'VIEW' },
        }),
      );
      await Promise.all(burst);
      // The last event decides the final list: send one clearly, after the burst.
      await gqlOk(sys.url, env.clientKey, `mutation { trackEvent(input: { eventId: "burst-last", userId: "burst", itemId: "p-books-4", type: PURCHASE }) { accepted } }`);
      const final = await waitFor(async () => {
        const list = await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "burst", limit: 3) { items { item { id } } } }`);
        const last = sub.received[sub.received.length - 1];
        const ids = (x: { items: { item: { id: string } }[] }) => x.items.map((i) => i.item.id).join();
        return last && ids(last.recommendationsUpdated) === ids(list.recommendations) ? last : null;
      }, 15000);
      expect(final.recommendationsUpdated.items.length).toBeGreaterThan(0);
      expect(sub.received.length).toBeGreaterThan(0);
      expect(sub.received.length).toBeLessThan(25);
      expect(await sys.services.db.event.count({ where: { userId: 'burst' } })).toBe(51);
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });

  it('computes no list for a shopper nobody is subscribed to, and pushes on the first event after a subscription starts', async () => {
    const track = (k: number, itemId: string) =>
      gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, { i: { eventId: `unwatched-${k}`, userId: 'unwatched', itemId, type: 'VIEW' } });
    // Resolves with the user's snapshot once their window holds `n` events (the update has been applied).
    const applied = (n: number) =>
      waitFor(async () => {
        const [snap] = await sys.services.userState.getMany(['unwatched']);
        return snap.state && snap.state.history.length === n ? snap : null;
      }, 15000);

    await track(1, 'p-outdoor-2');
    expect((await applied(1)).lastList).toBeNull();

    const watch = () => {
      const client = wsClient(sys.url, env.clientKey);
      const sub = collect<{ recommendationsUpdated: { items: { item: { id: string } }[] } }>(client, `subscription { recommendationsUpdated(userId: "unwatched", limit: 3) { items { item { id } } } }`, {});
      return { sub, close: async () => (sub.dispose(), await client.dispose()) };
    };
    let w = watch();
    await new Promise((r) => setTimeout(r, 300));
    await track(2, 'p-outdoor-2');
    await waitFor(async () => w.sub.received.length > 0 || null, 15000);
    expect((await applied(2)).lastList?.length).toBeGreaterThan(0);
    await w.close();

    // Nobody listens again: the last list is forgotten, so the next subscriber gets a push even for an unchanged list.
    await waitFor(async () => ((await sys.services.pubsub.listenedTo('recs-head', ['unwatched'])).size === 0 ? true : null), 5000);
    await track(3, 'p-outdoor-2');
    expect((await applied(3)).lastList).toEqual([]);
    w = watch();
    try {
      await new Promise((r) => setTimeout(r, 300));
      await track(4, 'p-outdoor-2');
      await waitFor(async () => w.sub.received.length > 0 || null, 15000);
    } finally {
      await w.close();
    }
  });

  it('ranks a pushed list only as deep as its subscribers ask, and a short subscription gets the head of the deep one', async () => {
    type Pushed = { recommendationsUpdated: { recommId: string; items: { item: { id: string } }[] } };
    const track = (k: number, itemId: string) =>
      gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, { i: { eventId: `depths-${k}`, userId: 'depths', itemId, type: 'VIEW' } });
    const lastList = async () => (await sys.services.userState.getMany(['depths']))[0].lastList;
    const client = wsClient(sys.url, env.clientKey);
    const shallow = collect<Pushed>(client, `subscription { recommendationsUpdated(userId: "depths", limit: 3) { recommId items { item { id } } } }`, {});
    let deep: ReturnType<typeof collect<Pushed>> | null = null;
    try {
      await new Promise((r) => setTimeout(r, 300));
      await track(1, 'p-outdoor-2');
      await waitFor(async () => shallow.received.length > 0 || null, 15000);
      // Only the head was ranked: the list kept for change detection is PUSH_HEAD_DEPTH (10) long, not 39.
      expect(await lastList()).toHaveLength(10);
      expect(shallow.received[0].recommendationsUpdated.items).toHaveLength(3);

      deep = collect<Pushed>(client, `subscription { recommendationsUpdated(userId: "depths", limit: 20) { recommId items { item { id } } } }`, {});
      await new Promise((r) => setTimeout(r, 300));
      const before = shallow.received.length;
      await track(2, 'p-kitchen-1');
      const [d] = await waitFor(async () => (deep!.received.length > 0 && shallow.received.length > before ? deep!.received : null), 15000);
      const s = shallow.received[shallow.received.length - 1];
      expect(d.recommendationsUpdated.items).toHaveLength(20);
      expect(s.recommendationsUpdated.recommId).toBe(d.recommendationsUpdated.recommId);
      expect(s.recommendationsUpdated.items).toEqual(d.recommendationsUpdated.items.slice(0, 3));
      expect((await lastList())?.length).toBeGreaterThan(20);
    } finally {
      shallow.dispose();
      deep?.dispose();
      await client.dispose();
    }
  });

  it('answers a query right after an event with a list that already reflects it', async () => {
    await gqlOk(sys.url, env.clientKey, `mutation { trackEvent(input: { userId: "instant", itemId: "p-outdoor-2", type: VIEW }) { accepted } }`);
    const data = await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "instant", limit: 1) { items { item { id } } } }`);
    expect(data.recommendations.items[0].item.id).toBe(complementOf('p-outdoor-2'));
  });
});
