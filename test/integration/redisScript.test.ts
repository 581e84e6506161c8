// Scripts run by hash against the real Redis: the whole text is sent only when Redis does not hold the script.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createRedis, KeySpace, type Redis } from '../../src/redis/redisConnections';
import { RedisScript } from '../../src/redis/redisScript';

describe('RedisScript', () => {
  let env: TestEnv;
  let redis: Redis;
  let keys: KeySpace;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = createRedis(env.config.redisUrl, 'script-test');
    keys = new KeySpace(env.redisPrefix);
  });

  afterAll(async () => {
    redis?.disconnect();
    await env?.drop();
  });

  it('loads itself when Redis does not know it, then runs by hash', async () => {
    // Unique to this run, so no earlier run left it loaded.
    const lua = `return redis.call('INCRBY', KEYS[1], ARGV[1]) -- redisScript.test ${env.redisPrefix}`;
    const script = new RedisScript(lua);
    const key = keys.key('script-test');
    const sha = (await redis.call('SCRIPT', 'LOAD', lua)) as string;
    await redis.call('SCRIPT', 'FLUSH');
    expect(await redis.call('SCRIPT', 'EXISTS', sha)).toEqual([0]);
    expect(await script.run(redis, [key], [2])).toBe(2);
    // The fallback sent the text, so Redis now holds it and the next call goes by hash.
    expect(await redis.call('SCRIPT', 'EXISTS', sha)).toEqual([1]);
    expect(await script.run(redis, [key], [3])).toBe(5);
    await expect(new RedisScript(`return redis.call('NOSUCHCOMMAND')`).run(redis, [], [])).rejects.toThrow(/unknown|Unknown/);
  });
});
