// ioredis connections and the key namespace. Every Redis key, queue and channel of this deployment
// lives under one prefix, so test runs and deployments sharing a Redis never see each other's data.
import Redis, { type RedisOptions } from 'ioredis';

export type { Redis };

export interface RedisFactory {
  /** A connection for ordinary commands. */
  command(name: string): Redis;
  /** A connection for BullMQ workers and subscribers (blocking commands; no offline queue limits). */
  blocking(name: string): Redis;
}

export function createRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    // Fail commands fast while Redis is down instead of queueing them forever.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...extra,
  });
}

/** BullMQ requires maxRetriesPerRequest: null on the connections its workers block on. */
export function createBlockingRedis(url: string, name: string): Redis {
  return createRedis(url, name, { maxRetriesPerRequest: null });
}

/** Builds namespaced keys: keys.user('u1', 'hist') -> "<prefix>:u:u1:hist". */
export class KeySpace {
  constructor(readonly prefix: string) {}

  user(userId: string, part: string): string {
    return `${this.prefix}:u:{${userId}}:${part}`;
  }

  channel(name: string): string {
    return `${this.prefix}:ch:${name}`;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
