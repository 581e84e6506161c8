// Per-key budgets on the real Redis, leased in small batches: two processes together never admit more than the
// shared bucket holds, a busy key costs a round trip per lease rather than per request, and a refusal is
// remembered locally until the bucket could have refilled.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createRedis, KeySpace, type Redis } from '../../src/redis/redisConnections';
import { RateLimiter } from '../../src/domain/auth/rateLimiter';

/** Script calls Redis has run so far (by hash or by text): the limiter's round trips. */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = (await redis.info('commandstats')) as string;
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

describe('RateLimiter', () => {
  let env: TestEnv;
  let redis: Redis;
  let keys: KeySpace;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = createRedis(env.config.redisUrl, 'rate-limit-test');
    keys = new KeySpace(env.redisPrefix);
  });

  afterAll(async () => {
    redis?.disconnect();
    await env?.drop();
  });

  it('admits no more across two processes than the shared bucket holds', async () => {
    // 1,000 per second with a burst of 200: within ~a tenth of a second at most ~300 can be admitted.
    const a = new RateLimiter(redis, keys, 1000, 200);
    const b = new RateLimiter(redis, keys, 1000, 200);
    const started = Date.now();
    const decisions = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? a : b).take('shared-key')));
    const elapsedMs = Date.now() - started;
    const admitted = decisions.filter((d) => d.allowed).length;
    expect(admitted).toBeLessThanOrEqual(200 + Math.ceil(elapsedMs * 1) + 1);
    // Leases given up unspent may cost a little of the budget, never most of it.
    expect(admitted).toBeGreaterThanOrEqual(150);
    const refused = decisions.find((d) => !d.allowed);
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
  });

  it('costs a round trip per lease, not per request, for a busy key', async () => {
    const limiter = new RateLimiter(redis, keys, 10_000, 20_000);
    const before = await scriptCalls(redis);
    let admitted = 0;
    for (let i = 0; i < 2000; i++) if ((await limiter.take('busy-key')).allowed) admitted++;
    const calls = (await scriptCalls(redis)) - before;
    expect(admitted).toBe(2000);
    // Leases double up to a tenth of a second's budget (1,000 tokens): a few dozen round trips at most.
    expect(calls).toBeLessThan(100);
  });

  it('refuses locally, without asking Redis, until the bucket could have refilled', async () => {
    const limiter = new RateLimiter(redis, keys, 5, 3);
    const first = await Promise.all(Array.from({ length: 5 }, () => limiter.take('small-key')));
    expect(first.filter((d) => d.allowed)).toHaveLength(3);
    const before = await scriptCalls(redis);
    const again = await limiter.take('small-key');
    expect(again.allowed).toBe(false);
    expect(again.retryAfterMs).toBeGreaterThan(0);
    expect((await scriptCalls(redis)) - before).toBe(0);
    await new Promise((r) => setTimeout(r, again.retryAfterMs + 10));
    expect((await limiter.take('small-key')).allowed).toBe(true);
  });
});
