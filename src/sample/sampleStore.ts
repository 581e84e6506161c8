// A small, believable demo shop: catalogue plus two months of shopper behaviour with structure a recommender
// can find (category loyalty, bought-together complements, view → cart → purchase funnels). Seeded, so reproducible.
import type { Pool } from 'pg';
import { createPgPool } from '../db/pgPool';
import { createRng, randInt, type Rng } from '../ml/random';
import type { EventTypeName } from '../ml/interactions';
import type { EventRow, ItemRow } from '../domain/import/eventCsvRows';
import { importEvents, importItems } from '../domain/import/bulkImporter';

/** A kind of product; `goesWith` names kinds in the same category that shoppers buy alongside it. */
interface Kind {
  name: string;
  price: [number, number];
  tags: string[];
  goesWith?: string[];
  /** Model names of this kind when the category's do not fit it. */
  models?: string[];
  /** The title is the model alone ("Trail Runner 2"), not model plus kind. */
  bare?: boolean;
}

interface Category {
  name: string;
  brands: string[];
  /** Model names that prefix a title ("Alpine" Hiking Boots); a title may add a generation number. */
  models: string[];
  kinds: Kind[];
}

const k = (name: string, lo: number, hi: number, tags: string, goesWith?: string, more: Pick<Kind, 'models' | 'bare'> = {}): Kind => ({
  name,
  price: [lo, hi],
  tags: tags.split(' '),
  goesWith: goesWith?.split(','),
  ...more,
});

const CATALOGUE: Category[] = [
  {
    name: 'Outdoor',
    brands: ['Northpeak', 'Timberline', 'Cairn & Co'],
    models: ['Alpine', 'Ridge', 'Summit', 'Canyon', 'Glacier', 'Basecamp'],
    kinds: [
      k('Hiking Boots', 89, 219, 'hiking footwear waterproof', 'Trail Socks,Trekking Poles'),
      k('Trail Socks', 9, 24, 'hiking socks merino'),
      k('Trekking Poles', 39, 129, 'hiking poles lightweight'),
      k('Backpack 30L', 59, 179, 'hiking backpack daypack', 'Hydration Bladder'),
      k('Hydration Bladder', 19, 45, 'hiking hydration'),
      k('Tent', 129, 449, 'camping shelter', 'Sleeping Bag,Camping Mat'),
      k('Sleeping Bag', 69, 259, 'camping sleep', 'Camping Mat'),
      k('Camping Mat', 29, 99, 'camping sleep inflatable'),
      k('Camp Stove', 35, 119, 'camping cooking', 'Fuel Canister'),
      k('Fuel Canister', 6, 12, 'camping cooking fuel'),
    ],
  },
  {
    name: 'Running',
    brands: ['Stride', 'Velo Athletics', 'Pacer'],
    models: ['Tempo', 'Cloudstep', 'Marathon', 'Sprint', 'Endurance'],
    kinds: [
      k('Running Shoes', 79, 189, 'running footwear', 'Running Socks,Running Shorts', {
        models: ['Trail Runner', 'Road Racer', 'Tempo Trainer', 'Cloudstep Glide', 'Marathon Elite'],
        bare: true,
      }),
      k('Running Socks', 8, 19, 'running socks'),
      k('Running Shorts', 25, 59, 'running apparel'),
      k('GPS Watch', 129, 449, 'running wearable gps', 'Heart Rate Strap'),
      k('Heart Rate Strap', 39, 89, 'running wearable'),
      k('Hydration Vest', 49, 139, 'running trail hydration', 'Energy Gels'),
      k('Energy Gels', 12, 29, 'running nutrition'),
      k('Foam Roller', 19, 49, 'running recovery'),
    ],
  },
  {
    name: 'Kitchen',
    brands: ['Casa Forge', 'Hearth', 'Oakline'],
    models: ['Classic', 'Pro', 'Artisan', 'Everyday', 'Heritage'],
    kinds: [
      k("Chef's Knife", 39, 189, 'kitchen knives', 'Knife Sharpener,Cutting Board'),
      k('Knife Sharpener', 19, 69, 'kitchen knives'),
      k('Cutting Board', 19, 79, 'kitchen wood'),
      k('Cast Iron Skillet', 29, 119, 'kitchen cookware', 'Seasoning Oil'),
      k('Seasoning Oil', 7, 15, 'kitchen care'),
      k('Espresso Machine', 199, 799, 'kitchen coffee appliance', 'Coffee Grinder,Milk Frother'),
      k('Coffee Grinder', 49, 249, 'kitchen coffee appliance'),
      k('Milk Frother', 19, 89, 'kitchen coffee'),
      k('Dutch Oven', 59, 299, 'kitchen cookware', 'Oven Mitts'),
      k('Oven Mitts', 12, 29, 'kitchen textile'),
    ],
  },
  {
    name: 'Books',
    brands: ['Harbor House', 'Lanternfly Press', 'Meridian Books'],
    models: ['The Quiet Harbor', 'Salt and Starlight', 'The Last Cartographer', 'Iron Orchard', 'A Map of Small Hours', 'The Glass Meridian'],
    kinds: [
      k('Book 1', 9, 24, 'books fiction series', 'Book 2'),
      k('Book 2', 9, 24, 'books fiction series', 'Book 3'),
      k('Book 3', 9, 24, 'books fiction series'),
      k('Cookbook', 19, 45, 'books cooking', undefined, { models: ['Salt & Fire', 'Weeknight Greens', 'The Bread Year', 'Small Plates', 'Slow Sundays'] }),
      k('Travel Guide', 15, 32, 'books travel', undefined, { models: ['Lisbon', 'Kyoto', 'Patagonia', 'Iceland', 'Scottish Highlands'] }),
      k('Reading Light', 12, 35, 'books accessory', undefined, { models: ['Clip-On', 'Rechargeable', 'Warm Glow', 'Neck', 'Folding'] }),
    ],
  },
  {
    name: 'Electronics',
    brands: ['Voltix', 'Lumen', 'Arcwave'],
    models: ['Nova', 'Pulse', 'Vertex', 'Orbit', 'Flux'],
    kinds: [
      k('Wireless Earbuds', 49, 249, 'audio wireless', 'Earbud Case'),
      k('Earbud Case', 9, 25, 'audio accessory'),
      k('Phone Case', 12, 49, 'phone accessory', 'Screen Protector'),
      k('Screen Protector', 8, 25, 'phone accessory'),
      k('USB-C Charger', 19, 69, 'charging', 'USB-C Cable'),
      k('USB-C Cable', 7, 25, 'charging cable'),
      k('Wireless Mouse', 19, 89, 'computer accessory', 'Mouse Pad'),
      k('Mouse Pad', 7, 29, 'computer accessory'),
      k('Bluetooth Speaker', 39, 199, 'audio speaker'),
      k('Power Bank', 25, 79, 'charging portable'),
    ],
  },
  {
    name: 'Beauty',
    brands: ['Lune', 'Petal & Pine', 'Dermaline'],
    models: ['Hydra', 'Pure', 'Velvet', 'Botanica', 'Radiance'],
    kinds: [
      k('Face Cleanser', 12, 35, 'skincare cleanser', 'Moisturizer'),
      k('Moisturizer', 18, 59, 'skincare hydration', 'Sunscreen SPF 50'),
      k('Sunscreen SPF 50', 12, 34, 'skincare sun'),
      k('Shampoo', 9, 29, 'haircare', 'Conditioner'),
      k('Conditioner', 9, 29, 'haircare'),
      k('Makeup Brush Set', 19, 69, 'makeup tools', 'Brush Cleaner'),
      k('Brush Cleaner', 8, 19, 'makeup tools'),
      k('Nail Polish', 7, 18, 'nails colour', 'Top Coat'),
      k('Top Coat', 7, 15, 'nails'),
    ],
  },
  {
    name: 'Toys',
    brands: ['Brightblock', 'Tumble Tree', 'Kitekin'],
    models: ['Junior', 'Explorer', 'Deluxe', 'Mini', 'Adventure'],
    kinds: [
      k('Building Blocks Set', 19, 99, 'toys construction', 'Block Storage Bin'),
      k('Block Storage Bin', 12, 29, 'toys storage'),
      k('Wooden Train Set', 29, 119, 'toys wooden', 'Train Track Expansion'),
      k('Train Track Expansion', 15, 45, 'toys wooden'),
      k('Jigsaw Puzzle', 12, 35, 'toys puzzle', 'Puzzle Mat'),
      k('Puzzle Mat', 15, 30, 'toys puzzle'),
      k('RC Car', 29, 149, 'toys remote-control', 'AA Batteries 12-pack'),
      k('AA Batteries 12-pack', 8, 15, 'batteries'),
      k('Plush Bear', 12, 39, 'toys plush gift'),
    ],
  },
  {
    name: 'Grocery',
    brands: ['Green Acre', 'Mill & Mortar', 'Sunfield'],
    models: ['Organic', 'Single-Origin', 'Stone-Ground', 'Heirloom', 'Everyday'],
    kinds: [
      k('Ground Coffee', 8, 22, 'grocery coffee', 'Coffee Filters'),
      k('Coffee Filters', 3, 8, 'grocery coffee'),
      k('Pasta', 2, 7, 'grocery pantry', 'Pasta Sauce'),
      k('Pasta Sauce', 4, 11, 'grocery pantry'),
      k('Olive Oil', 9, 29, 'grocery pantry', 'Balsamic Vinegar'),
      k('Balsamic Vinegar', 6, 19, 'grocery pantry'),
      k('Granola', 4, 12, 'grocery breakfast', 'Almond Milk'),
      k('Almond Milk', 2, 6, 'grocery breakfast dairy-free'),
      k('Dark Chocolate', 3, 9, 'grocery snacks'),
    ],
  },
];

const ITEMS_PER_KIND = 5;
const USERS = 250;
const DAY_MS = 86_400_000;
const WINDOW_DAYS = 60;
const DEFAULT_SEED = 42;

interface SampleItem extends ItemRow {
  category: string;
  kind: Kind;
  model: string;
  /** Catalogue position within its category: lower is more popular. */
  rank: number;
}

export interface SampleStore {
  items: ItemRow[];
  events: EventRow[];
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function shuffle<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function buildCatalogue(rng: Rng): SampleItem[] {
  const items: SampleItem[] = [];
  const ids = new Set<string>();
  for (const cat of CATALOGUE) {
    const inCategory: SampleItem[] = [];
    for (const kind of cat.kinds) {
      // Every series has all its volumes, so "Book 1" → "Book 2" complements stay within one series.
      const series = cat.name === 'Books' && kind.name.startsWith('Book ');
      const models = series ? cat.models : shuffle(rng, kind.models ?? cat.models);
      const count = series ? models.length : ITEMS_PER_KIND + (rng() < 0.6 ? 1 : 0);
      for (let n = 0; n < count; n++) {
        const model = models[n % models.length];
        // Second rounds through the models are generation 2; first-round numbers start at 3, so titles never repeat.
        const generation = n >= models.length ? 1 + Math.floor(n / models.length) : rng() < 0.25 ? 3 + randInt(rng, 3) : 0;
        const title = series
          ? `${model}, ${kind.name}`
          : kind.bare
            ? `${model} ${generation || 3 + randInt(rng, 3)}`
            : `${model} ${kind.name}${generation ? ` ${generation}` : ''}`;
        let id = slug(title);
        for (let dup = 2; ids.has(id); dup++) id = `${slug(title)}-${dup}`;
        ids.add(id);
        const brand = series ? cat.brands[cat.models.indexOf(model) % cat.brands.length] : pick(rng, cat.brands);
        const [lo, hi] = kind.price;
        inCategory.push({
          id,
          title,
          description: `${title} by ${brand}. ${pick(rng, QUALITIES)}, ${pick(rng, USES[cat.name])}.`,
          category: cat.name,
          brand,
          tags: [...new Set([...kind.tags, ...(rng() < 0.3 ? ['bestseller'] : []), ...(rng() < 0.15 ? ['gift-idea'] : [])])],
          price: Number((Math.round(lo + rng() * (hi - lo)) - 0.01).toFixed(2)),
          inStock: rng() >= 0.03,
          kind,
          model,
          rank: 0,
        });
      }
    }
    // Shuffled ranks give each category a long tail of popularity across all its kinds.
    shuffle(rng, inCategory).forEach((item, r) => (item.rank = r));
    items.push(...inCategory);
  }
  return items;
}

const QUALITIES = ['Built to last', 'Loved by our regulars', 'A reliable everyday pick', 'Thoughtfully designed', 'Great value'];
const USES: Record<string, string[]> = {
  Outdoor: ['made for long days on the trail', 'ready for weekend camping trips', 'light enough for fast hikes'],
  Running: ['made for daily miles', 'tuned for race day', 'comfortable on road and trail'],
  Kitchen: ['made for everyday cooking', 'a favourite of home chefs', 'easy to clean and care for'],
  Books: ['a gripping read', 'perfect for a long weekend', 'praised by readers and critics'],
  Electronics: ['works with phones and laptops', 'made for life on the go', 'with a two-year warranty'],
  Beauty: ['gentle on sensitive skin', 'dermatologist tested', 'cruelty-free and vegan'],
  Toys: ['for ages 3 and up', 'hours of creative play', 'a classic gift'],
  Grocery: ['sourced from small farms', 'a pantry staple', 'no artificial additives'],
};

/** Draws from items with weight 1/(rank+1)^0.9: a few hits, a long tail. */
function popularPick(rng: Rng, items: SampleItem[], weights: number[], total: number): SampleItem {
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i];
    if (r <= 0) return items[i];
  }
  return items[items.length - 1];
}

/**
 * The sample shop for `seed`. Timestamps fall in the 60 days before `now` (default: the start of today,
 * UTC, so a day's runs agree); event ids depend on the seed alone, so loading it again stores nothing new.
 */
export function generateSampleStore(seed: number = DEFAULT_SEED, now: Date = startOfUtcDay(new Date())): SampleStore {
  const rng = createRng(seed);
  const items = buildCatalogue(rng);
  const byCategory = new Map<string, { items: SampleItem[]; weights: number[]; total: number }>();
  for (const cat of CATALOGUE) {
    const inCat = items.filter((i) => i.category === cat.name).sort((a, b) => a.rank - b.rank);
    const weights = inCat.map((i) => 1 / Math.pow(i.rank + 1, 0.9));
    byCategory.set(cat.name, { items: inCat, weights, total: weights.reduce((a, b) => a + b, 0) });
  }
  // Each item has one favourite partner of each complementary kind: what "bought together" converges on.
  const partner = new Map<string, SampleItem[]>();
  for (const item of items) {
    const pool = byCategory.get(item.category)!.items;
    partner.set(
      item.id,
      (item.kind.goesWith ?? []).map((kind) => {
        const ofKind = pool.filter((p) => p.kind.name === kind);
        // The next volume of a series is the one of the same series.
        return ofKind.find((p) => p.category === 'Books' && p.model === item.model && kind.startsWith('Book ')) ?? pick(rng, ofKind);
      }),
    );
  }

  const end = now.getTime();
  const raw: Omit<EventRow, 'eventId'>[] = [];
  const categories = CATALOGUE.map((c) => c.name);
  for (let u = 1; u <= USERS; u++) {
    const userId = `shopper-${String(u).padStart(3, '0')}`;
    const first = pick(rng, categories);
    const favourites = rng() < 0.4 ? [first, pick(rng, categories.filter((c) => c !== first))] : [first];
    const sessions = 4 + randInt(rng, 9) + (rng() < 0.2 ? randInt(rng, 16) : 0);
    for (let s = 0; s < sessions; s++) {
      // More recent days are busier, as in a growing shop.
      let t = end - Math.pow(rng(), 1.4) * WINDOW_DAYS * DAY_MS;
      const emit = (item: SampleItem, type: EventTypeName, value: number | null = null) => {
        t += (15 + rng() * 150) * 1000;
        if (t < end) raw.push({ userId, itemId: item.id, type, value, occurredAt: new Date(Math.round(t)) });
      };
      const category = rng() < 0.85 ? pick(rng, favourites) : pick(rng, categories);
      const { items: pool, weights, total } = byCategory.get(category)!;
      // Browse a few items, then settle on the last one.
      const browsed = 1 + randInt(rng, 4);
      let chosen = pool[0];
      for (let b = 0; b < browsed; b++) {
        chosen = popularPick(rng, pool, weights, total);
        emit(chosen, 'VIEW');
        if (rng() < 0.3) emit(chosen, 'CLICK');
        if (rng() < 0.04) emit(chosen, 'BOOKMARK');
      }
      if (!chosen.inStock || rng() > 0.45) continue;
      emit(chosen, 'ADD_TO_CART');
      if (rng() < 0.12) {
        emit(chosen, 'REMOVE_FROM_CART');
        continue;
      }
      if (rng() > 0.7) continue;
      emit(chosen, 'PURCHASE');
      for (const extra of partner.get(chosen.id)!) {
        const mate = rng() < 0.75 ? extra : pick(rng, pool.filter((p) => p.kind === extra.kind));
        if (rng() > 0.65 || !mate.inStock) continue;
        emit(mate, 'VIEW');
        if (rng() < 0.7) {
          emit(mate, 'ADD_TO_CART');
          emit(mate, 'PURCHASE');
        }
      }
      if (rng() < 0.25) {
        t += (1 + rng() * 9) * DAY_MS;
        emit(chosen, 'RATING', rng() < 0.75 ? 4 + randInt(rng, 2) : 1 + randInt(rng, 3));
      }
    }
  }
  // A log is in time order; ids follow it, and only the seed decides them.
  raw.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.userId.localeCompare(b.userId));
  const events = raw.map((e, n) => ({ ...e, eventId: `sample:${seed}:${n}` }));
  return { items: items.map(({ kind: _kind, model: _model, rank: _rank, ...row }) => row), events };
}

function startOfUtcDay(d: Date): Date {
  return new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
}

export interface SampleStoreSummary {
  items: number;
  itemsInserted: number;
  events: number;
  eventsStored: number;
  usersCreated: number;
  seconds: number;
}

/** Loads the sample shop into a migrated database; safe to repeat (nothing is stored twice). */
export async function loadSampleStore(
  databaseUrl: string,
  opts: { seed?: number; now?: Date; mapUserId?: (userId: string) => string } = {},
): Promise<SampleStoreSummary> {
  const started = performance.now();
  const { items, events } = generateSampleStore(opts.seed ?? DEFAULT_SEED, opts.now);
  const pool = createPgPool(databaseUrl, 2);
  try {
    const i = await importItems(pool, items);
    const e = await importEvents(pool, events, { mapUserId: opts.mapUserId });
    return {
      items: items.length,
      itemsInserted: i.inserted,
      events: events.length,
      eventsStored: e.stored,
      usersCreated: e.usersCreated,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await pool.end();
  }
}
