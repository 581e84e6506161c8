// The click-farm check against real Redis and Postgres: shoppers Postgres already knows are not "new" however
// recently this detector first met them, and a hammered item hands back its users once per minute, not per event.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import type { Pool } from 'pg';
import { createPrismaClient, type Db } from '../../src/db/prismaClient';
import { createGenericPlanPool } from '../../src/db/genericPlanPool';
import { createRedis, KeySpace, type Redis } from '../../src/redis/redisConnections';
import { DEFAULT_FRAUD_LIMITS, FraudDetector, knownSinceInDatabase } from '../../src/domain/events/fraudDetector';

describe('FraudDetector', () => {
  let env: TestEnv;
  let db: Db;
  let redis: Redis;
  let pool: Pool;
  let detector: FraudDetector;
  const crowd = DEFAULT_FRAUD_LIMITS.freshUsersPerItemMinute + 10;
  const now = Date.now();

  beforeAll(async () => {
    env = await createTestEnv();
    db = createPrismaClient(env.databaseUrl, 2);
    redis = createRedis(env.config.redisUrl, 'fraud-test');
    pool = createGenericPlanPool(env.databaseUrl, 1);
    detector = new FraudDetector(redis, new KeySpace(env.redisPrefix), DEFAULT_FRAUD_LIMITS, knownSinceInDatabase(pool));
  });

  afterAll(async () => {
    redis?.disconnect();
    await pool?.end();
    await db?.$disconnect();
    await env?.drop();
  });

  it('does not take established shoppers for a click farm the first time it meets them', async () => {
    // As after a bulk import: the users' rows date from their first events, a month ago.
    const regulars = Array.from({ length: crowd }, (_, k) => `regular-${k}`);
    await db.user.createMany({ data: regulars.map((id) => ({ id, createdAt: new Date(now - 30 * 86400_000) })) });
    const { verdicts, hammered } = await detector.assess(regulars.map((userId) => ({ userId, itemId: 'bestseller' })), now);
    expect(verdicts.filter((v) => v.flagged)).toEqual([]);
    expect(hammered).toEqual([]);
  });

  it('flags new users hammering one item, handing back the users let through only when the pattern first shows', async () => {
    const farm = Array.from({ length: crowd }, (_, k) => `farm-${k}`);
    const hammeredLists: string[][] = [];
    let flagged = 0;
    for (const userId of farm) {
      const { verdicts, hammered } = await detector.assess([{ userId, itemId: 'target' }], now);
      flagged += verdicts.filter((v) => v.flagged).length;
      for (const h of hammered) hammeredLists.push(h.userIds);
    }
    expect(hammeredLists).toHaveLength(1);
    const threshold = DEFAULT_FRAUD_LIMITS.freshUsersPerItemMinute;
    expect(hammeredLists[0].sort()).toEqual(farm.slice(0, threshold + 1).sort());
    // Everyone from the crossing on is flagged by their own event.
    expect(flagged).toBe(crowd - threshold);
  });

  it('sees a farm whose burst straddles the end of a minute, and forgets new users after 60 s', async () => {
    const threshold = DEFAULT_FRAUD_LIMITS.freshUsersPerItemMinute;
    const minuteEnd = (Math.floor(now / 60_000) + 2) * 60_000;
    // Half the farm in the last seconds of one minute, half in the first of the next: under the limit in each.
    const farm = Array.from({ length: threshold + 2 }, (_, k) => ({ userId: `split-farm-${k}`, at: minuteEnd + (k < (threshold + 2) / 2 ? -2000 : 2000) }));
    const hammeredLists: string[][] = [];
    for (const { userId, at } of farm) for (const h of (await detector.assess([{ userId, itemId: 'split-target' }], at)).hammered) hammeredLists.push(h.userIds);
    expect(hammeredLists).toHaveLength(1);
    expect(hammeredLists[0].sort()).toEqual(farm.slice(0, threshold + 1).map((f) => f.userId).sort());
    // New users spread thinner than the limit per 60 s never add up.
    const slow = Array.from({ length: threshold + 2 }, (_, k) => ({ userId: `slow-${k}`, at: minuteEnd + k * (61_000 / threshold) }));
    let flagged = 0;
    for (const { userId, at } of slow) flagged += (await detector.assess([{ userId, itemId: 'slow-target' }], at)).verdicts.filter((v) => v.flagged).length;
    expect(flagged).toBe(0);
  });

  it('counts a search towards its shopper\'s velocity without asking Postgres when it first met them, and a mixed batch still reads each address and user right', async () => {
    const asked: string[][] = [];
    const known = knownSinceInDatabase(pool);
    const counting = new FraudDetector(redis, new KeySpace(env.redisPrefix), { ...DEFAULT_FRAUD_LIMITS, userPerMinute: 2, ipPerMinute: 3 }, (ids) => {
      asked.push(ids);
      return known(ids);
    });
    // Only the item event asks when its shopper was first seen; the searches ask nothing.
    const first = await counting.assess(
      [
        { userId: 'searcher', itemId: null, ip: '10.0.0.1' },
        { userId: 'clicker', itemId: 'boots', ip: '10.0.0.2' },
        { userId: 'searcher', itemId: null, ip: '10.0.0.1' },
      ],
      now,
    );
    expect(asked).toEqual([['clicker']]);
    expect(first.verdicts.map((v) => v.flagged)).toEqual([false, false, false]);
    // A third event of the searcher this minute passes the user limit (2); the address limit (3) is passed by the 4th.
    const second = await counting.assess(
      [
        { userId: 'searcher', itemId: 'boots', ip: '10.0.0.1' },
        { userId: 'other', itemId: null, ip: '10.0.0.1' },
      ],
      now,
    );
    expect(second.verdicts).toEqual([
      { flagged: true, reason: 'user velocity' },
      { flagged: true, reason: 'address velocity' },
    ]);
  });

  it('does not count client addresses while their limit is off (the default), and still counts each user', async () => {
    const keys = new KeySpace(env.redisPrefix);
    const off = new FraudDetector(redis, keys, { ...DEFAULT_FRAUD_LIMITS, userPerMinute: 1 }, knownSinceInDatabase(pool));
    const verdicts = (await off.assess([{ userId: 'quiet-1', itemId: 'socks', ip: '10.9.9.9' }, { userId: 'quiet-1', itemId: null, ip: '10.9.9.9' }], now)).verdicts;
    expect(verdicts).toEqual([{ flagged: false, reason: null }, { flagged: true, reason: 'user velocity' }]);
    expect(await redis.keys(`${keys.key('fraud', 'ip', '10.9.9.9')}*`)).toEqual([]);
    expect(await redis.ttl(keys.key('fraud', 'u', 'quiet-1', String(Math.floor(now / 60000))))).toBeGreaterThan(60);
  });
});
