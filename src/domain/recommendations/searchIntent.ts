// A shopper's current intent: the categories their recent searches led to, kept in Redis for the rest of the
// visit (the key expires a visit-length after the last search), so recommendations lean towards them.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';

export interface Intent {
  /** The latest query, for explanations ("Related to your search 'boots'"). */
  query: string;
  /** Category -> 0..1 (the strongest is 1). */
  categories: Map<string, number>;
}

const QUERY_FIELD = 'q';
const CATEGORY_PREFIX = 'c:';
// A newer search counts more than older ones of the same visit.
const OLDER_SEARCH_DECAY = 0.5;

export class SearchIntentStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly visitSeconds: number,
  ) {}

  private key(userId: string): string {
    return this.keys.user(userId, 'intent');
  }

  /** Records a search: `categories` maps each category of its top results to its share of them. */
  async record(userId: string, query: string, categories: Map<string, number>): Promise<void> {
    if (!categories.size) return;
    const key = this.key(userId);
    const previous = await this.redis.hgetall(key);
    const merged = new Map<string, number>();
    for (const [field, value] of Object.entries(previous)) {
      if (field.startsWith(CATEGORY_PREFIX)) merged.set(field, Number(value) * OLDER_SEARCH_DECAY);
    }
    for (const [c, share] of categories) merged.set(CATEGORY_PREFIX + c, (merged.get(CATEGORY_PREFIX + c) ?? 0) + share);
    const fields: string[] = [QUERY_FIELD, query];
    for (const [field, value] of merged) fields.push(field, String(value));
    await this.redis.multi().del(key).hset(key, ...fields).expire(key, this.visitSeconds).exec();
  }

  async get(userId: string): Promise<Intent | null> {
    const raw = await this.redis.hgetall(this.key(userId));
    if (!raw[QUERY_FIELD]) return null;
    const categories = new Map<string, number>();
    let max = 0;
    for (const [field, value] of Object.entries(raw)) {
      if (!field.startsWith(CATEGORY_PREFIX)) continue;
      const v = Number(value);
      if (!(v > 0)) continue;
      categories.set(field.slice(CATEGORY_PREFIX.length), v);
      max = Math.max(max, v);
    }
    for (const [c, v] of categories) categories.set(c, v / max);
    return categories.size ? { query: raw[QUERY_FIELD], categories } : null;
  }
}
