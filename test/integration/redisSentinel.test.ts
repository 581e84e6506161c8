// REDIS_URL as a Sentinel URL: the whole system (queues, pub/sub, user state, pushes) runs through the master the
// sentinel names, and after a failover it follows the promoted replica with no restart.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { collect, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { startPrivateSentinel, type PrivateSentinel } from '../utils/privateSentinel';
import { complementOf } from '../fixtures/plantedShop';
import Redis from 'ioredis';

describe('Redis through Sentinel', () => {
  let sentinel: PrivateSentinel;
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    sentinel = await startPrivateSentinel();
    env = await createTestEnv({ REDIS_URL: sentinel.url });
    sys = await startTestSystem(env);
    await trainPlantedShop(sys);
  }, 60_000);

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
    await sentinel?.stop();
  });

  it('pushes lists through the master, and keeps pushing after a failover to the replica', async () => {
    const client = wsClient(sys.url, env.clientKey);
    type Push = { recommendationsUpdated: { items: { item: { id: string } }[] } };
    const sub = collect<Push>(client, `subscription { recommendationsUpdated(userId: "sentinel-shopper", limit: 1) { items { item { id } } } }`, {});
    const view = (itemId: string) =>
      gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
        i: { userId: 'sentinel-shopper', itemId, type: 'PURCHASE' },
      });
    const firstItem = (p: Push) => p.recommendationsUpdated.items[0]?.item.id;
    try {
      await new Promise((r) => setTimeout(r, 300));
      await view('p-kitchen-1');
      await sub.next((p) => firstItem(p) === complementOf('p-kitchen-1'));

      // Replication is asynchronous: let the replica acknowledge everything written so far, as an operator's
      // planned failover would, so the check below is about where the system reads and writes, not about lag.
      const master = new Redis({ port: await sentinel.masterPort(), host: '127.0.0.1', maxRetriesPerRequest: 1 });
      try {
        expect(await master.call('WAIT', '1', '5000')).toBe(1);
      } finally {
        master.disconnect();
      }
      const promoted = await sentinel.failover();
      // The user's state now lives on the promoted node (it was replicated there, and updates follow).
      const direct = new Redis({ port: promoted, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      try {
        expect(await direct.exists(sys.services.keys.user('sentinel-shopper', 'state'))).toBe(1);
      } finally {
        direct.disconnect();
      }

      // Events are acknowledged again as soon as the connections have followed the new master.
      await waitFor(async () => view('p-books-2').then(() => true).catch(() => false), 20_000, 200);
      await sub.next((p) => firstItem(p) === complementOf('p-books-2'), 20_000);
      expect(sub.failure).toBeNull();
    } finally {
      sub.dispose();
      await client.dispose();
    }
  }, 90_000);
});
