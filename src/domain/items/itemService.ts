// The catalogue: validated upserts in one statement, and cached reads by id for resolving recommended items.
import type { Db } from '../../db/prismaClient';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import { InvalidInputError } from '../../errors';
import { LIMITS, checkBatch, checkId, checkJsonObject, checkNumber, checkText } from '../inputLimits';

export interface ItemRecord {
  id: string;
  title: string;
  description: string | null;
  category: string | null;
  brand: string | null;
  tags: string[];
  price: number | null;
  inStock: boolean;
  properties: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export interface ItemInput {
  id: string;
  title: string;
  description?: string | null;
  category?: string | null;
  brand?: string | null;
  tags?: string[] | null;
  price?: number | null;
  inStock?: boolean | null;
  properties?: unknown;
}

function validateItem(input: ItemInput, index: number): Required<Omit<ItemInput, 'properties'>> & { properties: unknown } {
  const at = `items[${index}]`;
  const title = checkText(input.title, `${at}.title`, LIMITS.titleLength);
  if (!title || !title.trim()) throw new InvalidInputError(`${at}.title must not be empty`, { field: `${at}.title` });
  const tags = input.tags ?? [];
  if (tags.length > LIMITS.tagCount) throw new InvalidInputError(`${at}.tags holds more than ${LIMITS.tagCount} tags`);
  tags.forEach((t, j) => checkText(t, `${at}.tags[${j}]`, LIMITS.titleLength));
  return {
    id: checkId(input.id, `${at}.id`),
    title,
    description: checkText(input.description, `${at}.description`, LIMITS.textLength),
    category: checkText(input.category, `${at}.category`, LIMITS.titleLength),
    brand: checkText(input.brand, `${at}.brand`, LIMITS.titleLength),
    tags,
    price: checkNumber(input.price, `${at}.price`, { min: 0 }),
    inStock: input.inStock ?? true,
    properties: checkJsonObject(input.properties, `${at}.properties`, LIMITS.propertiesBytes),
  };
}

// Items read per page when an API process loads its cache.
const WARM_PAGE = 5000;

export class ItemService {
  // Items change rarely and are read on every list served and every event checked: a bounded cache, invalidated
  // over pub/sub, that sheds its oldest tenth when full (clearing it all made a catalogue larger than the cache miss
  // on nearly every event: a Prisma query each).
  private readonly cache = new Map<string, ItemRecord | null>();
  /** Ids changed while warm() runs: a page read before the change must not be cached after it. */
  private changedWhileWarming: Set<string> | null = null;

  constructor(
    private readonly db: Db,
    private readonly pubsub: RedisPubSub,
    private readonly maxCached = 200_000,
  ) {}

  /** Subscribes to catalogue changes from any process so cached items never go stale. */
  async start(): Promise<void> {
    await this.pubsub.on('items:changed', ({ ids }) => this.invalidate(ids));
  }

  private invalidate(ids: string[]): void {
    for (const id of ids) {
      this.cache.delete(id);
      this.changedWhileWarming?.add(id);
    }
  }

  /**
   * Loads up to the cache's size of the catalogue, a page at a time (API processes, in the background after
   * start): a cold process would otherwise query Postgres for most items of its first lists and events.
   */
  async warm(): Promise<number> {
    let after = '';
    let loaded = 0;
    this.changedWhileWarming = new Set();
    try {
      while (loaded < this.maxCached) {
        const rows = await this.db.item.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take: Math.min(WARM_PAGE, this.maxCached - loaded) });
        if (!rows.length) break;
        for (const row of rows) if (!this.cache.has(row.id) && !this.changedWhileWarming.has(row.id)) this.cache.set(row.id, row as ItemRecord);
        loaded += rows.length;
        after = rows[rows.length - 1].id;
      }
    } finally {
      this.changedWhileWarming = null;
    }
    return loaded;
  }

  async upsert(inputs: ItemInput[]): Promise<number> {
    checkBatch(inputs, 'items');
    const rows = inputs.map(validateItem);
    const ids = new Set<string>();
    for (const r of rows) {
      if (ids.has(r.id)) throw new InvalidInputError(`item id "${r.id}" appears twice in one batch`, { field: 'items' });
      ids.add(r.id);
    }
    // One statement: all rows or none.
    await this.db.$executeRawUnsafe(
      `INSERT INTO items (id, title, description, category, brand, tags, price, in_stock, properties, updated_at)
       SELECT r.id, r.title, r.description, r.category, r.brand,
              ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.price, r.in_stock, r.properties, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, title text, description text, category text, brand text,
            tags jsonb, price double precision, in_stock boolean, properties jsonb)
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,
            category = EXCLUDED.category, brand = EXCLUDED.brand, tags = EXCLUDED.tags, price = EXCLUDED.price,
            in_stock = EXCLUDED.in_stock, properties = EXCLUDED.properties, updated_at = now()`,
      JSON.stringify(rows.map((r) => ({ ...r, in_stock: r.inStock }))),
    );
    const changed = [...ids];
    this.invalidate(changed);
    await this.pubsub.publish('items:changed', { ids: changed });
    return rows.length;
  }

  async get(id: string): Promise<ItemRecord | null> {
    return (await this.getMany([id])).get(id) ?? null;
  }

  /**
   * The item itself when the cache holds it (null: known not to exist), else a promise of it. A list's items are
   * resolved one field each: a plain value spares GraphQL execution a promise per item.
   */
  cachedOrGet(id: string): ItemRecord | null | Promise<ItemRecord | null> {
    const hit = this.cache.get(id);
    return hit === undefined ? this.get(id) : hit;
  }

  /** Items by id; ids that do not exist are absent from the map. */
  async getMany(ids: string[]): Promise<Map<string, ItemRecord>> {
    const out = new Map<string, ItemRecord>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.cache.get(id);
      if (hit) out.set(id, hit);
      else if (hit === undefined) missing.push(id);
    }
    if (missing.length) {
      const rows = await this.db.item.findMany({ where: { id: { in: missing } } });
      for (const row of rows) out.set(row.id, row as ItemRecord);
      for (const id of missing) this.cache.set(id, out.get(id) ?? null);
      if (this.cache.size > this.maxCached) this.evictOldest(this.cache.size - Math.floor(this.maxCached * 0.9));
    }
    return out;
  }

  async exists(ids: string[]): Promise<Set<string>> {
    return new Set((await this.getMany(ids)).keys());
  }

  /** Drops the `n` entries cached longest ago (a Map iterates in insertion order). */
  private evictOldest(n: number): void {
    for (const id of this.cache.keys()) {
      if (n-- <= 0) break;
      this.cache.delete(id);
    }
  }
}
