// Property: ingesting any event sequence, in any batching, twice, stores each event once and leaves the
// same user state as a rebuild from Postgres. Runs against the real Postgres and Redis.
import fc from 'fast-check';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';

const TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE', 'REMOVE_FROM_CART'] as const;
// The state keeps every item event (removals included, the cart needs them); scoring weighs them later.

describe('ingestion is idempotent and order-preserving', () => {
  let env: TestEnv;
  let services: Services;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    services = await createServices(env.config, createLogger('warn'));
  });

  afterAll(async () => {
    await services?.close();
    await env?.drop();
  });

  it('stores the same events and state whatever the batching, even when sent twice', async () => {
    let run = 0;
    const event = fc.record({
      user: fc.integer({ min: 0, max: 3 }),
      item: fc.integer({ min: 0, max: 6 }),
      type: fc.constantFrom(...TYPES),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), async (events, cuts) => {
        const ns = `r${run++}`;
        const inputs = events.map((e, k) => ({ eventId: `${ns}-e${k}`, userId: `${ns}-u${e.user}`, itemId: `i${e.item}`, type: e.type, occurredAt: new Date(1_700_000_000_000 + k * 1000).toISOString() }));
        // Any batching: cut the sequence into batches of the generated sizes, cycling.
        const batches: (typeof inputs)[] = [];
        for (let at = 0, c = 0; at < inputs.length; c++) {
          const size = cuts[c % cuts.length];
          batches.push(inputs.slice(at, at + size));
          at += size;
        }
        for (let pass = 0; pass < 2; pass++) {
          for (const batch of batches) {
            const res = await services.events.trackBatch(batch);
            expect(res.rejected).toBe(0);
            expect(res.accepted + res.duplicates).toBe(batch.length);
          }
        }
        const stored = await services.db.event.findMany({ where: { eventId: { startsWith: `${ns}-` } }, orderBy: { id: 'asc' } });
        expect(stored.map((s) => s.eventId)).toEqual(inputs.map((i) => i.eventId));
        const users = [...new Set(inputs.map((i) => i.userId))];
        for (const userId of users) {
          await services.online.apply(userId);
          const live = await services.redis.lrange(services.keys.user(userId, 'hist'), 0, -1);
          // Rebuild from Postgres, the source of truth, and compare.
          await services.redis.del(services.keys.user(userId, 'hist'), services.keys.user(userId, 'state'));
          await services.online.apply(userId);
          const rebuilt = await services.redis.lrange(services.keys.user(userId, 'hist'), 0, -1);
          expect(live).toEqual(rebuilt);
          const expected = inputs.filter((i) => i.userId === userId).map((i) => i.itemId);
          expect([...rebuilt].reverse().map((h) => JSON.parse(h)[0])).toEqual(expected.slice(-services.config.historyWindow));
        }
      }),
      { numRuns: 25, seed: 20261123 },
    );
  }, 120_000);
});
