// Per-key request budgets as token buckets in Redis, shared by every API process. One Lua script refills
// and takes a token atomically. If Redis is unreachable the limiter lets requests through: availability of
// the shop beats strict budgets during an outage.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';
import { RedisScript } from '../../redis/redisScript';

export interface RateDecision {
  allowed: boolean;
  /** When refused: how long until a token is available. */
  retryAfterMs: number;
}

// KEYS[1] bucket; ARGV: capacity, refill per ms, now ms, cost. Returns {allowed, retryAfterMs}.
const TOKEN_BUCKET = new RedisScript(`
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {allowed, wait}
`);

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    /** Sustained requests per second per key, and the burst allowed above it. */
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  async take(subject: string, cost = 1): Promise<RateDecision> {
    if (this.perSecond <= 0) return { allowed: true, retryAfterMs: 0 };
    try {
      const bucket = this.keys.key('rate', subject);
      const [allowed, wait] = (await TOKEN_BUCKET.run(this.redis, [bucket], [this.burst, this.perSecond / 1000, Date.now(), cost])) as [number, number];
      return { allowed: allowed === 1, retryAfterMs: wait };
    } catch {
      return { allowed: true, retryAfterMs: 0 };
    }
  }
}
