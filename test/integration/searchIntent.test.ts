// A visit's search intent in real Redis: a newer search's categories add to the older ones at half their weight,
// the latest query is kept, the key lives a visit-length from the last search, and searches at once all count.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createRedis, KeySpace, type Redis } from '../../src/redis/redisConnections';
import { SearchIntentStore } from '../../src/domain/recommendations/searchIntent';

describe('SearchIntentStore', () => {
  let env: TestEnv;
  let redis: Redis;
  let keys: KeySpace;
  let store: SearchIntentStore;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = createRedis(env.config.redisUrl, 'intent-test');
    keys = new KeySpace(env.redisPrefix);
    store = new SearchIntentStore(redis, keys, 1800);
  });

  afterAll(async () => {
    redis?.disconnect();
    await env?.drop();
  });

  it('weighs the newest search most and keeps its query', async () => {
    await store.record('walker', 'tent', new Map([['Outdoor', 0.75], ['Travel', 0.25]]));
    await store.record('walker', 'kettle', new Map([['Kitchen', 0.5], ['Outdoor', 0.5]]));
    const intent = await store.get('walker');
    expect(intent?.query).toBe('kettle');
    // Outdoor 0.75 / 2 + 0.5 = 0.875, Kitchen 0.5, Travel 0.25 / 2; scaled so the strongest is 1.
    expect(intent?.categories.get('Outdoor')).toBeCloseTo(1, 12);
    expect(intent?.categories.get('Kitchen')).toBeCloseTo(0.5 / 0.875, 12);
    expect(intent?.categories.get('Travel')).toBeCloseTo(0.125 / 0.875, 12);
    const ttl = await redis.ttl(keys.user('walker', 'intent'));
    expect(ttl).toBeGreaterThan(1700);
    expect(ttl).toBeLessThanOrEqual(1800);
  });

  it('records nothing for a search without categories, and counts searches made at the same moment', async () => {
    await store.record('idle', 'nothing', new Map());
    expect(await store.get('idle')).toBeNull();
    await Promise.all(Array.from({ length: 10 }, (_, k) => store.record('busy', `q${k}`, new Map([[`C${k}`, 1]]))));
    const intent = await store.get('busy');
    expect(intent?.categories.size).toBe(10);
  });
});
