// Shoppers' recent events read together (one statement for the reads of one turn) against real Postgres and
// Redis: each shopper gets exactly their own window, oldest first, without flagged or item-less events; the
// events after the Redis state's mark complete it (read your writes); `through` stops at an event id.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import type { Pool } from 'pg';
import { createPrismaClient, type Db } from '../../src/db/prismaClient';
import { createGenericPlanPool } from '../../src/db/genericPlanPool';
import { createRedis, KeySpace, type Redis } from '../../src/redis/redisConnections';
import { UserStateStore, type HistoryEntry } from '../../src/domain/users/userStateStore';
import { UserHistoryReader } from '../../src/domain/users/userHistory';

const WINDOW = 4;

describe('UserHistoryReader', () => {
  let env: TestEnv;
  let db: Db;
  let redis: Redis;
  let state: UserStateStore;
  let reader: UserHistoryReader;
  let pool: Pool;

  beforeAll(async () => {
    env = await createTestEnv();
    db = createPrismaClient(env.databaseUrl, 2);
    redis = createRedis(env.config.redisUrl, 'history-test');
    state = new UserStateStore(redis, new KeySpace(env.redisPrefix), WINDOW);
    pool = createGenericPlanPool(env.databaseUrl, 2);
    reader = new UserHistoryReader(pool, state, WINDOW);
    const t0 = Date.UTC(2026, 0, 1) / 1000;
    const events = [];
    for (const [u, n] of [['ann', 6], ['bob', 2], ['cat', 3], ['dan', 12], ['eve', 10]] as const) {
      await db.user.create({ data: { id: u } });
      for (let k = 0; k < n; k++) events.push({ eventId: `${u}-${k}`, userId: u, itemId: `${u}-item-${k}`, type: 'VIEW' as const, occurredAt: new Date((t0 + k) * 1000) });
    }
    // Left out of every history: a flagged event and a search (no item).
    events.push({ eventId: 'ann-flagged', userId: 'ann', itemId: 'bot-item', type: 'VIEW' as const, occurredAt: new Date((t0 + 10) * 1000), flagged: true });
    events.push({ eventId: 'bob-search', userId: 'bob', itemId: null, type: 'SEARCH' as const, occurredAt: new Date((t0 + 10) * 1000) });
    for (const e of events) await db.event.create({ data: e });
  });

  afterAll(async () => {
    redis?.disconnect();
    await pool?.end();
    await db?.$disconnect();
    await env?.drop();
  });

  const items = (entries: { itemId: string }[]) => entries.map((e) => e.itemId);

  it('gives each of several shoppers read at once their own newest events, oldest first', async () => {
    const [ann, bob, cat, nobody, annAgain] = await Promise.all(['ann', 'bob', 'cat', 'nobody', 'ann'].map((u) => reader.recent(u)));
    expect(items(ann.entries)).toEqual(['ann-item-2', 'ann-item-3', 'ann-item-4', 'ann-item-5']);
    expect(items(bob.entries)).toEqual(['bob-item-0', 'bob-item-1']);
    expect(items(cat.entries)).toEqual(['cat-item-0', 'cat-item-1', 'cat-item-2']);
    expect(nobody.entries).toEqual([]);
    expect(annAgain).toEqual(ann);
    expect(ann.entries[0]).toEqual({ itemId: 'ann-item-2', time: Date.UTC(2026, 0, 1) / 1000 + 2, type: expect.any(Number) });
  });

  it('stops at `through`, and completes the Redis state with the events after its mark', async () => {
    const annIds = (await db.event.findMany({ where: { userId: 'ann', flagged: false }, orderBy: { id: 'asc' }, select: { id: true } })).map((e) => e.id);
    const through = await reader.recent('ann', annIds[2]);
    expect(items(through.entries)).toEqual(['ann-item-0', 'ann-item-1', 'ann-item-2']);

    // The worker applied ann's first four events; the last two are only in Postgres yet.
    const catIds = (await db.event.findMany({ where: { userId: 'cat' }, orderBy: { id: 'asc' }, select: { id: true } })).map((e) => e.id);
    const rebuilt = (userId: string, entries: HistoryEntry[], hwm: bigint) => ({ userId, expect: { hwm: '', stale: '' }, replace: true, entries, hwm: hwm.toString() });
    expect(await state.commitMany([rebuilt('ann', await reader.fromDatabase('ann', annIds[3]), annIds[3]), rebuilt('cat', [], catIds[2])])).toEqual([true, true]);
    const [ann, cat] = await Promise.all([reader.recent('ann'), reader.recent('cat')]);
    expect(items(ann.entries)).toEqual(['ann-item-2', 'ann-item-3', 'ann-item-4', 'ann-item-5']);
    expect(cat.entries).toEqual([]);
  });

  it('completes the state with the newest events whether the worker is a few or many events behind', async () => {
    const ids = async (userId: string) => (await db.event.findMany({ where: { userId }, orderBy: { id: 'asc' }, select: { id: true } })).map((e) => e.id);
    const [danIds, eveIds] = await Promise.all([ids('dan'), ids('eve')]);
    const applied = async (userId: string, through: bigint) => ({ userId, expect: { hwm: '', stale: '' }, replace: true, entries: await reader.fromDatabase(userId, through), hwm: through.toString() });
    // eve: two events behind the worker; dan: ten, more than a window (whose newest events count, not the oldest).
    expect(await state.commitMany([await applied('eve', eveIds[7]), await applied('dan', danIds[1])])).toEqual([true, true]);
    const [eve, dan] = await Promise.all([reader.recent('eve'), reader.recent('dan')]);
    expect(items(eve.entries)).toEqual(['eve-item-6', 'eve-item-7', 'eve-item-8', 'eve-item-9']);
    expect(items(dan.entries)).toEqual(['dan-item-8', 'dan-item-9', 'dan-item-10', 'dan-item-11']);
  });
});
