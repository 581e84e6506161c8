// The online-update queue: a Redis stream of "this user's stored events changed" entries, read by one consumer
// group, so a worker takes many users per read and acknowledges them together, instead of running one BullMQ job
// (about a hundred Redis commands) per event. Delivery is at least once; the updater's compare-and-set keeps
// each user's updates in order, and the catch-up sweeper covers an entry lost with Redis.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../redis/redisConnections';
import type { QueueDepth, QueueSource } from '../domain/metrics/queueStatus';

export const ONLINE_UPDATE_QUEUE = 'online-update';
export const ONLINE_UPDATE_GROUP = 'online-workers';
// Entries are deleted once handled; the cap only bounds a stream no worker reads (every worker down for long).
const MAX_ENTRIES = 1_000_000;

export class OnlineUpdateStream implements QueueSource {
  readonly name = ONLINE_UPDATE_QUEUE;
  readonly key: string;
  private readonly workersKey: string;

  constructor(private readonly redis: Redis, keys: KeySpace) {
    this.key = keys.key('stream', ONLINE_UPDATE_QUEUE);
    this.workersKey = keys.key('stream', ONLINE_UPDATE_QUEUE, 'workers');
  }

  /** Asks for these users' online updates (one entry each). Rejects when Redis does not take them. */
  async notify(userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    const p = this.redis.pipeline();
    for (const userId of userIds) p.xadd(this.key, 'MAXLEN', '~', MAX_ENTRIES, '*', 'u', userId);
    for (const [err] of (await p.exec()) ?? []) if (err) throw err;
  }

  /** Creates the consumer group (reading from the stream's start, so entries added before any worker are kept). */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, ONLINE_UPDATE_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
  }

  /** Waiting = not yet read by any worker; active = read and not yet acknowledged (handled entries are deleted). */
  async depth(): Promise<QueueDepth> {
    const [[lenErr, length], [pendingErr, summary]] = ((await this.redis.pipeline().xlen(this.key).xpending(this.key, ONLINE_UPDATE_GROUP).exec()) ?? []) as [Error | null, unknown][];
    if (lenErr) throw lenErr;
    // No group yet (no worker ever started): nothing is in hand.
    const active = pendingErr ? 0 : Number((summary as [number])[0] ?? 0);
    return {
      name: ONLINE_UPDATE_QUEUE,
      waiting: Math.max(0, Number(length) - active),
      active,
      delayed: 0,
      // A batch that keeps failing is retried, then logged and dropped: its users' events stay in Postgres.
      failed: 0,
      completed: 0,
      recentFailures: [],
    };
  }

  /** Records that `consumer` is reading (workers call it about once a second; Redis 7.0's XINFO idle time is not reset by empty reads). */
  async heartbeat(consumer: string, now = Date.now()): Promise<void> {
    await this.redis.pipeline().zadd(this.workersKey, now, consumer).zremrangebyscore(this.workersKey, '-inf', now - 60_000).exec();
  }

  async leave(consumer: string): Promise<void> {
    await this.redis.zrem(this.workersKey, consumer);
  }

  /** Worker processes reading the stream: those with a heartbeat within `activeWithinMs`. */
  async consumerCount(activeWithinMs = 10_000, now = Date.now()): Promise<number> {
    return this.redis.zcount(this.workersKey, now - activeWithinMs, '+inf');
  }
}
