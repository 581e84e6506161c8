// Per-user online state in Redis, shared by every process: the recent-event window, the id of the newest
// event applied (high-water mark) and the last list computed. Postgres events remain the source of truth:
// a missing state is rebuilt from them.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';

export interface HistoryEntry {
  itemId: string;
  /** unix seconds */
  time: number;
  /** EventType code (index in EVENT_TYPES) */
  type: number;
}

export interface UserState {
  /** Oldest first. */
  history: HistoryEntry[];
  /** Id of the newest event applied, as a decimal string (events.id is a bigint). */
  hwm: string;
  /** Item ids of the list last computed for the user, best first. */
  lastList: string[] | null;
  /** Online-updated embedding (matrix factorisation), if any. */
  embedding: Float32Array | null;
  embeddingVersion: number | null;
}

export class UserStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    /** Entries kept per user: the history is trimmed to the newest `window`. */
    readonly window: number,
  ) {}

  /** Null when the user has no state yet (never seen, or Redis lost it). */
  async get(userId: string): Promise<UserState | null> {
    const res = await this.redis
      .multi()
      .lrange(this.keys.user(userId, 'hist'), 0, -1)
      .hmget(this.keys.user(userId, 'state'), 'hwm', 'list', 'embv', 'stale')
      .hgetBuffer(this.keys.user(userId, 'state'), 'emb')
      .exec();
    if (!res) return null;
    const [hist, fields, emb] = res.map(([err, v]) => {
      if (err) throw err;
      return v;
    }) as [string[], (string | null)[], Buffer | null];
    const [hwm, list, embv, stale] = fields;
    // A stale state (events it applied were flagged afterwards) is as good as none: rebuild it.
    if (hwm === null || stale !== null) return null;
    return {
      // Stored newest first (LPUSH), returned oldest first.
      history: hist.map(decodeEntry).reverse(),
      hwm,
      lastList: list ? (JSON.parse(list) as string[]) : null,
      embedding: emb ? new Float32Array(emb.buffer.slice(emb.byteOffset, emb.byteOffset + emb.byteLength)) : null,
      embeddingVersion: embv ? Number(embv) : null,
    };
  }

  /**
   * Appends entries (oldest first), trims the window and advances the high-water mark atomically.
   * `replace` starts the history over (a rebuild from Postgres). `lastList`, when given, is stored in the same
   * transaction (the online updater saves the list it computed with the events that moved it: one round trip).
   */
  async append(userId: string, entries: HistoryEntry[], hwm: string, replace = false, lastList?: string[]): Promise<void> {
    const hist = this.keys.user(userId, 'hist');
    const tx = this.redis.multi();
    if (replace) tx.del(hist).hdel(this.keys.user(userId, 'state'), 'stale', 'emb', 'embv');
    if (entries.length) tx.lpush(hist, ...entries.map(encodeEntry));
    tx.ltrim(hist, 0, this.window - 1);
    if (lastList) tx.hset(this.keys.user(userId, 'state'), 'hwm', hwm, 'list', JSON.stringify(lastList));
    else tx.hset(this.keys.user(userId, 'state'), 'hwm', hwm);
    await tx.exec();
  }

  async setLastList(userId: string, itemIds: string[]): Promise<void> {
    await this.redis.hset(this.keys.user(userId, 'state'), 'list', JSON.stringify(itemIds));
  }

  async setEmbedding(userId: string, embedding: Float32Array, versionId: number): Promise<void> {
    await this.redis.hset(
      this.keys.user(userId, 'state'),
      'emb',
      Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength),
      'embv',
      String(versionId),
    );
  }

  /** Marks users' states for a rebuild from Postgres on their next online update. */
  async markStale(userIds: string[]): Promise<void> {
    const tx = this.redis.multi();
    for (const u of userIds) tx.hset(this.keys.user(u, 'state'), 'stale', '1');
    await tx.exec();
  }

  async delete(userId: string): Promise<void> {
    await this.redis.del(...this.keys.allOfUser(userId));
  }
}

function encodeEntry(e: HistoryEntry): string {
  return JSON.stringify([e.itemId, e.time, e.type]);
}

function decodeEntry(s: string): HistoryEntry {
  const [itemId, time, type] = JSON.parse(s) as [string, number, number];
  return { itemId, time, type };
}
