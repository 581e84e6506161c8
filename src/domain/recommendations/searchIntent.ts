// A shopper's current intent: the categories their recent searches led to, kept in Redis for the rest of the
// visit (the key expires a visit-length after the last search), so recommendations lean towards them.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';
import { RedisScript } from '../../redis/redisScript';

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

// Older searches' category weights decay, this search's shares add on, the query replaces the last one, and the
// visit's clock restarts. KEYS[1] the intent hash; ARGV decay, seconds, query, then category field, share pairs.
const RECORD_SEARCH = new RedisScript(`
local previous = redis.call('HGETALL', KEYS[1])
local decay = tonumber(ARGV[1])
local weights, order = {}, {}
for i = 1, #previous, 2 do
  local field = previous[i]
  if string.sub(field, 1, ${CATEGORY_PREFIX.length}) == '${CATEGORY_PREFIX}' then
    weights[field] = tonumber(previous[i + 1]) * decay
    order[#order + 1] = field
  end
end
for i = 4, #ARGV, 2 do
  local field = ARGV[i]
  if weights[field] == nil then
    weights[field] = 0
    order[#order + 1] = field
  end
  weights[field] = weights[field] + tonumber(ARGV[i + 1])
end
local fields = { '${QUERY_FIELD}', ARGV[3] }
for _, field in ipairs(order) do
  fields[#fields + 1] = field
  fields[#fields + 1] = string.format('%.17g', weights[field])
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
`);

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
    const args: (string | number)[] = [OLDER_SEARCH_DECAY, this.visitSeconds, query];
    for (const [c, share] of categories) args.push(CATEGORY_PREFIX + c, share);
    // One round trip (and atomic, so two searches of one visit at once both count): it is on the search's path.
    await RECORD_SEARCH.run(this.redis, [this.key(userId)], args);
  }

  async get(userId: string): Promise<Intent | null> {
    return intentOf(await this.redis.hgetall(this.key(userId)));
  }

  /** Several shoppers' intents in one round trip (the online updater's batch), in input order. */
  async getMany(userIds: string[]): Promise<(Intent | null)[]> {
    if (!userIds.length) return [];
    const pipeline = this.redis.pipeline();
    for (const u of userIds) pipeline.hgetall(this.key(u));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, raw]) => {
      if (err) throw err;
      return intentOf(raw as Record<string, string>);
    });
  }
}

/** An intent hash as read from Redis; null without a query or any category. */
function intentOf(raw: Record<string, string>): Intent | null {
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
