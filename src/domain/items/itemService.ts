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

export class ItemService {
  // Items change rarely and are read on every list served: a bounded cache invalidated over pub/sub.
  private readonly cache = new Map<string, ItemRecord | null>();
  private readonly maxCached = 50000;

  constructor(
    private readonly db: Db,
    private readonly pubsub: RedisPubSub,
  ) {}

  /** Subscribes to catalogue changes from any process so cached items never go stale. */
  async start(): Promise<void> {
    await this.pubsub.on('items:changed', ({ ids }) => ids.forEach((id) => this.cache.delete(id)));
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
    changed.forEach((id) => this.cache.delete(id));
    await this.pubsub.publish('items:changed', { ids: changed });
    return rows.length;
  }

  async get(id: string): Promise<ItemRecord | null> {
    return (await this.getMany([id])).get(id) ?? null;
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
      if (this.cache.size > this.maxCached) this.cache.clear();
      for (const id of missing) this.cache.set(id, out.get(id) ?? null);
    }
    return out;
  }

  async exists(ids: string[]): Promise<Set<string>> {
    return new Set((await this.getMany(ids)).keys());
  }
}
