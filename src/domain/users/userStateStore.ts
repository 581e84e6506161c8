// Per-user online state in Redis, shared by every process: the recent-event window, the id of the newest
// event applied (high-water mark) and the last list computed. Postgres events remain the source of truth:
// a missing state is rebuilt from them.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';
import { RedisScript } from '../../redis/redisScript';

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

/** A user's state as read for an update, whatever it holds: the mark and stale flag are what a commit compares. */
export interface StateSnapshot {
  /** Null when there is no usable state (none yet, or marked stale): the updater rebuilds it from Postgres. */
  state: UserState | null;
  lastList: string[] | null;
  /** The fields the commit's compare-and-set checks ('' = absent). */
  hwm: string;
  stale: string;
}

/** One user's update, written only if their state still is what it was read as (see COMMIT). */
export interface StateCommit {
  userId: string;
  expect: { hwm: string; stale: string };
  /** Start the history over (a rebuild from Postgres). */
  replace: boolean;
  entries: HistoryEntry[];
  hwm: string;
  lastList?: string[];
  embedding?: { vector: Float32Array; versionId: number };
  /**
   * Published in the same script, so pushes for one user leave in the order of their marks: at most
   * PUBLISH_SLOTS messages (the whole list and its head).
   */
  publish?: { channel: string; message: string }[];
}

// KEYS: hist, state. ARGV: expected hwm, expected stale, replace, window, new hwm, list, embedding, embedding
// version, two (channel, message) pairs, then the entries newest first. '' means absent. Returns 0 (nothing written) when
// another writer moved the state since it was read: two workers never interleave one user's updates.
const COMMIT = new RedisScript(`
local cur = redis.call('HMGET', KEYS[2], 'hwm', 'stale')
if (cur[1] or '') ~= ARGV[1] or (cur[2] or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[2], 'stale', 'emb', 'embv')
end
if #ARGV > 12 then redis.call('LPUSH', KEYS[1], unpack(ARGV, 13)) end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('HSET', KEYS[2], 'hwm', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'list', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[2], 'emb', ARGV[7], 'embv', ARGV[8]) end
if ARGV[9] ~= '' then redis.call('PUBLISH', ARGV[9], ARGV[10]) end
if ARGV[11] ~= '' then redis.call('PUBLISH', ARGV[11], ARGV[12]) end
return 1
`);

const PUBLISH_SLOTS = 2;

/** The script's (channel, message) arguments: every slot filled, '' for an unused one. */
function publishSlots(messages: { channel: string; message: string }[]): string[] {
  if (messages.length > PUBLISH_SLOTS) throw new Error(`a state commit publishes at most ${PUBLISH_SLOTS} messages`);
  return Array.from({ length: PUBLISH_SLOTS }, (_, k) => [messages[k]?.channel ?? '', messages[k]?.message ?? '']).flat();
}

export class UserStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    /** Entries kept per user: the history is trimmed to the newest `window`. */
    readonly window: number,
  ) {}

  /** Null when the user has no usable state (never seen, Redis lost it, or marked stale). */
  async get(userId: string): Promise<UserState | null> {
    return (await this.getMany([userId]))[0].state;
  }

  /**
   * Snapshots of several users in one round trip, for a batch of online updates. Each user's keys are read in a
   * MULTI of their own, so a history never comes from before another writer's commit and its mark from after.
   */
  async getMany(userIds: string[]): Promise<StateSnapshot[]> {
    if (!userIds.length) return [];
    const p = this.redis.pipeline();
    for (const u of userIds) {
      p.call('MULTI');
      p.lrange(this.keys.user(u, 'hist'), 0, -1);
      p.hmget(this.keys.user(u, 'state'), 'hwm', 'list', 'embv', 'stale', 'emb');
      // As buffers, so the binary embedding survives; the other fields are decoded below.
      p.callBuffer('EXEC');
    }
    const res = (await p.exec()) ?? [];
    return userIds.map((_, i) => {
      const [err, reply] = res[i * 4 + 3];
      if (err) throw err;
      const [hist, fields] = reply as [Buffer[], (Buffer | null)[]];
      const [hwm, list, embv, stale] = fields.slice(0, 4).map((f) => (f === null ? null : f.toString()));
      const emb = fields[4];
      const lastList = list ? (JSON.parse(list) as string[]) : null;
      return {
        state: decodeState(hist.map((h) => h.toString()), hwm, stale, lastList, embv, emb),
        lastList,
        hwm: hwm ?? '',
        stale: stale ?? '',
      };
    });
  }

  /** Writes each commit whose user's state is unchanged since read; true per commit written, in order. */
  async commitMany(commits: StateCommit[]): Promise<boolean[]> {
    const results = await COMMIT.runMany(
      this.redis,
      commits.map((c) => ({
        keys: [this.keys.user(c.userId, 'hist'), this.keys.user(c.userId, 'state')],
        args: [
          c.expect.hwm,
          c.expect.stale,
          c.replace ? '1' : '0',
          this.window,
          c.hwm,
          c.lastList ? JSON.stringify(c.lastList) : '',
          c.embedding ? Buffer.from(c.embedding.vector.buffer, c.embedding.vector.byteOffset, c.embedding.vector.byteLength) : '',
          c.embedding ? String(c.embedding.versionId) : '',
          ...publishSlots(c.publish ?? []),
          // LPUSH of the oldest first leaves the newest at the head: the list is stored newest first.
          ...c.entries.map(encodeEntry),
        ],
      })),
    );
    return results.map((r) => r === 1);
  }

  /** The users whose state has not applied their event `newest` (no state, stale, or an older mark). */
  async behind(newest: Map<string, bigint>): Promise<string[]> {
    const users = [...newest.keys()];
    if (!users.length) return [];
    const p = this.redis.pipeline();
    for (const u of users) p.hmget(this.keys.user(u, 'state'), 'hwm', 'stale');
    const res = (await p.exec()) ?? [];
    return users.filter((u, i) => {
      const [err, fields] = res[i];
      if (err) throw err;
      const [hwm, stale] = fields as (string | null)[];
      return hwm === null || stale !== null || BigInt(hwm) < (newest.get(u) as bigint);
    });
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

function decodeState(hist: string[], hwm: string | null, stale: string | null, lastList: string[] | null, embv: string | null, emb: Buffer | null): UserState | null {
  // A stale state (events it applied were flagged afterwards) is as good as none: rebuild it.
  if (hwm === null || stale !== null) return null;
  return {
    // Stored newest first (LPUSH), returned oldest first.
    history: hist.map(decodeEntry).reverse(),
    hwm,
    lastList,
    embedding: emb ? new Float32Array(emb.buffer.slice(emb.byteOffset, emb.byteOffset + emb.byteLength)) : null,
    embeddingVersion: embv ? Number(embv) : null,
  };
}

function encodeEntry(e: HistoryEntry): string {
  return JSON.stringify([e.itemId, e.time, e.type]);
}

function decodeEntry(s: string): HistoryEntry {
  const [itemId, time, type] = JSON.parse(s) as [string, number, number];
  return { itemId, time, type };
}
