// Per-key request budgets as token buckets in Redis, shared by every API process. A process takes tokens from
// the shared bucket in small leases and spends them locally, so a busy key costs a Redis round trip per lease, not
// per request: under load that round trip was one more turn of the event loop on every request's path. If Redis is
// unreachable the limiter lets requests through: availability of the shop beats strict budgets during an outage.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';
import { RedisScript } from '../../redis/redisScript';

export interface RateDecision {
  allowed: boolean;
  /** When refused: how long until a token is available. */
  retryAfterMs: number;
}

// KEYS[1] bucket; ARGV: capacity, refill per ms, now ms, tokens wanted, tokens needed (≤ wanted).
// Grants as many of the wanted tokens as the bucket holds, or none when it holds fewer than needed.
// Returns {granted, retryAfterMs}.
const TAKE_LEASE = new RedisScript(`
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local need = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local granted = 0
local wait = 0
if tokens >= need then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
else
  wait = math.ceil((need - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {granted, wait}
`);

// A leased token not spent within this long is given up (lost to the budget, never spent twice): it bounds how
// far one process's spending can lag behind the shared bucket.
const LEASE_MS = 100;
// Subjects kept before expired leases are swept (unauthenticated callers are keyed by address).
const SWEEP_AT = 1000;

interface Lease {
  tokens: number;
  size: number;
  used: number;
  expiresAt: number;
  /** Set when the bucket refused: until then this process refuses too, without asking Redis. */
  refusedUntil: number;
}

const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0 };

export class RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly renewing = new Map<string, Promise<RateDecision>>();
  private sweptAt = 0;
  /** The largest lease: what the key earns in LEASE_MS, so a lease never holds more than a moment's budget. */
  private readonly maxLease: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    /** Sustained requests per second per key, and the burst allowed above it. */
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.maxLease = Math.max(1, Math.min(burst, Math.floor((perSecond * LEASE_MS) / 1000)));
  }

  async take(subject: string, cost = 1): Promise<RateDecision> {
    if (this.perSecond <= 0) return ALLOWED;
    for (;;) {
      const lease = this.leases.get(subject);
      const now = Date.now();
      if (lease && now < lease.expiresAt) {
        if (lease.tokens >= cost) {
          lease.tokens -= cost;
          lease.used += cost;
          return ALLOWED;
        }
        if (now < lease.refusedUntil) return { allowed: false, retryAfterMs: lease.refusedUntil - now };
      }
      // Requests of one key arriving together share one renewal, then spend what it brought.
      const renewal = this.renewing.get(subject);
      if (!renewal) break;
      await renewal;
    }
    const renewal = this.renew(subject, cost);
    this.renewing.set(subject, renewal);
    try {
      return await renewal;
    } finally {
      this.renewing.delete(subject);
    }
  }

  /** Takes a new lease from the shared bucket and spends `cost` of it; never rejects. */
  private async renew(subject: string, cost: number): Promise<RateDecision> {
    const previous = this.leases.get(subject);
    // A lease spent in full asks for twice as much next time; one left over asks for what was used.
    const grown = !previous ? 1 : previous.used >= previous.size ? 2 * previous.size : previous.used;
    const want = Math.max(cost, Math.min(this.maxLease, grown));
    let granted: number;
    let wait: number;
    try {
      const bucket = this.keys.key('rate', subject);
      [granted, wait] = (await TAKE_LEASE.run(this.redis, [bucket], [this.burst, this.perSecond / 1000, Date.now(), want, cost])) as [number, number];
    } catch {
      return ALLOWED;
    }
    const now = Date.now();
    // At most once per lease period: with many callers active at once, sweeping on every renewal would cost each
    // request a pass over all of them.
    if (this.leases.size >= SWEEP_AT && now - this.sweptAt >= LEASE_MS) {
      this.sweptAt = now;
      for (const [s, l] of this.leases) if (l.expiresAt <= now) this.leases.delete(s);
    }
    if (granted < cost) {
      this.leases.set(subject, { tokens: 0, size: want, used: 0, expiresAt: now + wait, refusedUntil: now + wait });
      return { allowed: false, retryAfterMs: wait };
    }
    this.leases.set(subject, { tokens: granted - cost, size: want, used: cost, expiresAt: now + LEASE_MS, refusedUntil: 0 });
    return ALLOWED;
  }
}
