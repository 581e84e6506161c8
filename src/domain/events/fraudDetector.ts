// Scores incoming events for bot and click-farm patterns before they are stored: too many events per
// minute from one user or one address, or one item hit by many brand-new users at once. Flagged events are
// stored (nothing acknowledged is dropped) but never shape training, popularity, co-occurrence or state.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';
import type { Pool } from 'pg';
import { RedisScript } from '../../redis/redisScript';

export interface FraudLimits {
  /** Events one user may send per minute before their events are flagged. */
  userPerMinute: number;
  /**
   * Events one client address may send per minute (many users behind one bot); 0 turns the check off,
   * the default, because shops often send every shopper's events from one backend address.
   */
  ipPerMinute: number;
  /** Distinct new users on one item within any 60 s before their events on it are flagged. */
  freshUsersPerItemMinute: number;
  /** How long after their first event a user counts as new. */
  freshUserSeconds: number;
}

export const DEFAULT_FRAUD_LIMITS: Readonly<FraudLimits> = Object.freeze({
  userPerMinute: 300,
  ipPerMinute: 0,
  freshUsersPerItemMinute: 30,
  freshUserSeconds: 600,
});

export interface Suspicion {
  flagged: boolean;
  reason: string | null;
}

export interface Assessment {
  verdicts: Suspicion[];
  /**
   * Items found hammered by new users in this batch, with every new user seen on them in the last minute: their
   * earlier events on the item, let through before the pattern showed, must be flagged too.
   */
  hammered: { itemId: string; userIds: string[] }[];
}

// Minute counters outlive their minute by one; first sight is remembered for a month.
const COUNTER_TTL_S = 120;
// The click-farm check counts an item's new users over this sliding window, and re-flags a farm at most once per window.
const FRESH_WINDOW_S = 60;
const SEEN_TTL_S = 86400 * 30;

/** A row's replies: the user's events this minute, and for an item event whether this was the first sight and when it was. */
type UserCount = [count: number, first?: number, since?: string];

// KEYS: the user's minute counter, and (item events only) their first-sight key. ARGV: counter TTL, now (ms), first
// sight TTL. One command per event instead of four, on every event's path.
const COUNT_USER = new RedisScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if #KEYS == 1 then return {n} end
if redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3], 'NX') then return {n, 1, ARGV[2]} end
return {n, 0, redis.call('GET', KEYS[2])}
`);

/** When the shop first knew each user (Postgres), for users this detector has never seen; absent = unknown. */
export type KnownSince = (userIds: string[]) => Promise<Map<string, Date>>;

/**
 * KnownSince from the users table: a user row is created with the user's first stored event. Asked for every user
 * the detector meets for the first time, so on the event path: a prepared statement (createGenericPlanPool).
 */
export function knownSinceInDatabase(pool: Pool): KnownSince {
  return async (userIds) => {
    const { rows } = await pool.query<{ id: string; created_at: Date }>({ name: 'fraud-known-since', text: 'SELECT id, created_at FROM users WHERE id = ANY($1::text[])', values: [userIds] });
    return new Map(rows.map((u) => [u.id, u.created_at]));
  };
}

export class FraudDetector {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly limits: FraudLimits = DEFAULT_FRAUD_LIMITS,
    /**
     * Without it, every user of an imported history (or of a new deployment) would count as new for their first
     * minutes here, and any item popular among them would look like a click farm.
     */
    private readonly knownSince: KnownSince = async () => new Map(),
  ) {}

  /**
   * One verdict per row, in order; `ip` is the row's client address, counted per address when that limit is on.
   * Fails open (nothing flagged) when Redis is unreachable.
   */
  async assess(rows: { userId: string; itemId: string | null; ip?: string | null }[], now = Date.now()): Promise<Assessment> {
    const minute = Math.floor(now / 60000);
    try {
      // One script per row: the user's velocity, and for an item event their first sight. First sight only matters
      // for the click-farm check, which is about items: an event without one (a search) does not ask, and so costs
      // no Postgres read for a shopper the detector has not met.
      const counting = COUNT_USER.runMany(
        this.redis,
        rows.map((r) => ({
          keys: r.itemId ? [this.key('u', r.userId, String(minute)), this.key('seen', r.userId)] : [this.key('u', r.userId, String(minute))],
          args: [COUNTER_TTL_S, String(now), SEEN_TTL_S],
        })),
      );
      // Addresses are counted only when their limit is on (it is off by default: shops often send every shopper's
      // events from one backend address).
      const perAddress = new Map<string, number>();
      if (this.limits.ipPerMinute > 0) for (const r of rows) if (r.ip) perAddress.set(r.ip, (perAddress.get(r.ip) ?? 0) + 1);
      const [userReplies, addressCounts] = await Promise.all([counting as Promise<UserCount[]>, this.countAddresses(perAddress, minute)]);
      const firstSeen = await this.firstSeen(rows, userReplies, now);
      const verdicts: Suspicion[] = [];
      const hammeredItems: Assessment['hammered'] = [];
      const fresh = new Map<string, string[]>(); // item -> fresh users in this batch
      rows.forEach((r, i) => {
        const userCount = Number(userReplies[i][0]);
        const addressCount = r.ip ? (addressCounts.get(r.ip) ?? 0) : 0;
        if (userCount > this.limits.userPerMinute) verdicts.push({ flagged: true, reason: 'user velocity' });
        else if (this.limits.ipPerMinute > 0 && addressCount > this.limits.ipPerMinute) verdicts.push({ flagged: true, reason: 'address velocity' });
        else verdicts.push({ flagged: false, reason: null });
        if (r.itemId && now - (firstSeen.get(r.userId) ?? now) < this.limits.freshUserSeconds * 1000) {
          fresh.set(r.itemId, [...(fresh.get(r.itemId) ?? []), r.userId]);
        }
      });
      if (fresh.size) {
        // Fresh users per item over the last 60 s, a sliding window (a sorted set scored by time): with counts per
        // calendar minute, a farm whose burst straddled a minute's end stayed under the limit in both halves.
        const q = this.redis.pipeline();
        const items = [...fresh.keys()];
        for (const item of items) {
          const key = this.key('fresh', item);
          q.zadd(key, ...(fresh.get(item) as string[]).flatMap((u) => [now, u]));
          q.zremrangebyscore(key, '-inf', now - FRESH_WINDOW_S * 1000);
          q.expire(key, COUNTER_TTL_S);
          q.zcard(key);
        }
        const counts = (await q.exec()) ?? [];
        const hammered = new Set(items.filter((_, j) => Number(counts[j * 4 + 3]?.[1] ?? 0) > this.limits.freshUsersPerItemMinute));
        for (const itemId of hammered) {
          // Only the batch that first finds the item hammered flags the users let through before it (then once a
          // minute at most); every later fresh user on it is flagged by its own batch. Repeating the whole list per
          // event would make each event of a click farm cost as much as the farm is large.
          const first = await this.redis.set(this.key('hammered', itemId), '1', 'EX', FRESH_WINDOW_S, 'NX');
          if (first) hammeredItems.push({ itemId, userIds: await this.redis.zrange(this.key('fresh', itemId), 0, -1) });
        }
        rows.forEach((r, i) => {
          if (!verdicts[i].flagged && r.itemId && hammered.has(r.itemId) && (fresh.get(r.itemId) ?? []).includes(r.userId)) {
            verdicts[i] = { flagged: true, reason: 'item hammered by new users' };
          }
        });
      }
      const flaggedUsers = new Map<string, string>();
      rows.forEach((r, i) => verdicts[i].flagged && flaggedUsers.set(r.userId, verdicts[i].reason as string));
      for (const h of hammeredItems) for (const u of h.userIds) flaggedUsers.set(u, 'item hammered by new users');
      if (flaggedUsers.size) {
        const f = this.redis.pipeline();
        for (const [user, reason] of flaggedUsers) {
          f.zadd(this.key('flagged'), now, user);
          f.hset(this.key('flagged-reason'), user, reason);
        }
        await f.exec();
      }
      return { verdicts, hammered: hammeredItems };
    } catch {
      return { verdicts: rows.map(() => ({ flagged: false, reason: null })), hammered: [] };
    }
  }

  /**
   * First sight of each user with an item event in the batch, in ms: the detector's own memory, or for a user it
   * meets for the first time, when Postgres first stored them (remembered in place of "now").
   */
  private async firstSeen(rows: { userId: string; itemId: string | null }[], replies: UserCount[], now: number): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    const newHere: string[] = [];
    rows.forEach((r, i) => {
      if (!r.itemId) return;
      const [, first, since] = replies[i];
      seen.set(r.userId, Number(since ?? now));
      if (first === 1) newHere.push(r.userId);
    });
    if (!newHere.length) return seen;
    const known = await this.knownSince([...new Set(newHere)]);
    if (!known.size) return seen;
    const p = this.redis.pipeline();
    for (const [userId, since] of known) {
      const t = Math.min(since.getTime(), seen.get(userId) ?? now);
      seen.set(userId, t);
      p.set(this.key('seen', userId), String(t), 'EX', SEEN_TTL_S);
    }
    await p.exec();
    return seen;
  }

  /** Adds each address's events to its minute counter; the counts after. */
  private async countAddresses(perAddress: Map<string, number>, minute: number): Promise<Map<string, number>> {
    if (!perAddress.size) return new Map();
    const p = this.redis.pipeline();
    for (const [address, count] of perAddress) {
      p.incrby(this.key('ip', address, String(minute)), count);
      p.expire(this.key('ip', address, String(minute)), COUNTER_TTL_S);
    }
    const res = (await p.exec()) ?? [];
    return new Map([...perAddress.keys()].map((address, k) => [address, Number(res[k * 2]?.[1] ?? 0)]));
  }

  private key(...parts: string[]): string {
    return this.keys.key('fraud', ...parts);
  }

  /**
   * Erasure: what the detector remembers of a user. Minute counters live 120 s, so at most this minute's and the two
   * before exist; the user's id as a member of an item's fresh-user window (also 120 s) is left to expire.
   */
  async forget(userId: string, now = Date.now()): Promise<void> {
    const minute = Math.floor(now / 60000);
    const counters = [minute, minute - 1, minute - 2].map((m) => this.key('u', userId, String(m)));
    await this.redis
      .multi()
      .del(this.key('seen', userId), ...counters)
      .zrem(this.key('flagged'), userId)
      .hdel(this.key('flagged-reason'), userId)
      .exec();
  }

  /** Most recently flagged users, newest first, for the admin view. */
  async flaggedUsers(limit: number): Promise<{ userId: string; flaggedAt: Date; reason: string }[]> {
    const entries = await this.redis.zrevrange(this.key('flagged'), 0, limit - 1, 'WITHSCORES');
    const users = entries.filter((_, i) => i % 2 === 0);
    const reasons = users.length ? await this.redis.hmget(this.key('flagged-reason'), ...users) : [];
    return users.map((userId, i) => ({ userId, flaggedAt: new Date(Number(entries[i * 2 + 1])), reason: reasons[i] ?? 'suspicious' }));
  }
}
