// ioredis connections and the key namespace. Every Redis key, queue and channel of this deployment
// lives under one prefix, so test runs and deployments sharing a Redis never see each other's data.
import Redis, { type RedisOptions } from 'ioredis';
import { sentinelOptionsFromUrl } from './redisUrl';

export type { Redis };

/** A connection to REDIS_URL: a plain URL, or a Sentinel URL whose master is looked up (and followed on failover). */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  const sentinel = sentinelOptionsFromUrl(url);
  return sentinel ? new Redis({ ...sentinel, ...options }) : new Redis(url, options);
}

export function createRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  const conn = connectRedis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    // Queue commands only until the first connection, so start-up code need not wait for 'ready'.
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...extra,
  });
  // After that, a command while Redis is down fails at once instead of waiting out reconnect attempts:
  // the callers (ingestion, rate limits, live metrics) all have a Postgres or degrade-gracefully path.
  // ioredis reads this option per command, so flipping it after the first 'ready' is enough.
  if (extra.maxRetriesPerRequest !== null) conn.once('ready', () => (conn.options.enableOfflineQueue = false));
  return conn;
}

/** BullMQ requires maxRetriesPerRequest: null on the connections its workers block on; they wait for Redis. */
export function createBlockingRedis(url: string, name: string): Redis {
  return createRedis(url, name, { maxRetriesPerRequest: null });
}

/** Deletes every key of a namespace (a finished test run, benchmark or replay); SCAN, so Redis never blocks. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Every per-user key; deleteUser erases exactly these, so a new kind of user state must be listed here. */
export const USER_KEY_PARTS = ['state', 'hist', 'intent'] as const;
export type UserKeyPart = (typeof USER_KEY_PARTS)[number];

/** Builds namespaced keys: keys.user('u1', 'hist') -> "<prefix>:u:{u1}:hist". */
export class KeySpace {
  constructor(readonly prefix: string) {}

  user(userId: string, part: UserKeyPart): string {
    return `${this.usersPrefix}{${userId}}:${part}`;
  }

  /** What every user's keys start with. */
  get usersPrefix(): string {
    return `${this.prefix}:u:`;
  }

  /** All of one user's keys (one hash slot, thanks to the {braces}). */
  allOfUser(userId: string): string[] {
    return USER_KEY_PARTS.map((part) => this.user(userId, part));
  }

  channel(name: string): string {
    return `${this.prefix}:ch:${name}`;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
