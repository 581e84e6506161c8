// A generated shop for benchmarks with planted structure a recommender can find: categories each shopper is
// loyal to, skewed popularity inside a category, and "next" items bought together. Seeded, so reproducible,
// and the same rules drive the live load, so events sent during a benchmark look like the history.
import { createRng, randInt, type Rng } from '../ml/random';
import type { EventTypeName } from '../ml/interactions';
import type { EventRow, ItemRow } from '../domain/import/eventCsvRows';

export interface ShopShape {
  items: number;
  events: number;
  users: number;
  categories: number;
}

export const SCALES: Record<'full' | 'small', ShopShape> = {
  full: { items: 100_000, events: 1_000_000, users: 50_000, categories: 500 },
  small: { items: 10_000, events: 100_000, users: 5_000, categories: 100 },
};

const TYPES: [EventTypeName, number][] = [
  ['VIEW', 0.7],
  ['CLICK', 0.15],
  ['ADD_TO_CART', 0.08],
  ['PURCHASE', 0.05],
  ['RATING', 0.02],
];

export const itemId = (i: number) => `i${i}`;
export const userId = (u: number) => `u${u}`;

/** Skewed pick in [0, n): low indices are popular (about a Zipf head). */
function skewed(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(n * Math.pow(rng(), 2.5)));
}

function pickType(rng: Rng): EventTypeName {
  let r = rng();
  for (const [name, p] of TYPES) {
    if (r < p) return name;
    r -= p;
  }
  return 'VIEW';
}

/** A shopper's favourite categories, a pure function of the shopper so live load can follow the same tastes. */
export function favouriteCategories(shape: ShopShape, u: number): number[] {
  const rng = createRng(u * 2654435761 + 17);
  return Array.from({ length: 1 + randInt(rng, 3) }, () => skewed(rng, shape.categories));
}

/**
 * The shopper's next item: 30% of the time the planted "next" item of the previous one (same category),
 * 60% a popular item of a favourite category, otherwise anything.
 */
export function nextItem(shape: ShopShape, rng: Rng, favourites: number[], previous: number): number {
  const perCategory = Math.floor(shape.items / shape.categories);
  if (previous >= 0 && rng() < 0.3) {
    const category = Math.floor(previous / perCategory);
    return category * perCategory + (((previous % perCategory) + 1) % perCategory);
  }
  if (rng() < 0.85) return favourites[randInt(rng, favourites.length)] * perCategory + skewed(rng, perCategory);
  return skewed(rng, shape.items);
}

export function* syntheticItems(shape: ShopShape, batch = 10_000): Generator<ItemRow[]> {
  const perCategory = Math.floor(shape.items / shape.categories);
  const rng = createRng(7);
  for (let from = 0; from < shape.items; from += batch) {
    const rows: ItemRow[] = [];
    for (let i = from; i < Math.min(shape.items, from + batch); i++) {
      const category = Math.min(shape.categories - 1, Math.floor(i / perCategory));
      rows.push({
        id: itemId(i),
        title: `Item ${i} of category ${category}`,
        category: `c${category}`,
        brand: `b${category % 37}`,
        tags: [`c${category}`, `t${i % 11}`],
        price: Math.round((5 + rng() * 195) * 100) / 100,
        inStock: true,
      });
    }
    yield rows;
  }
}

/**
 * About `shape.events` events over the last 60 days, user by user (exponentially distributed counts), in
 * batches for the bulk importer. Every event carries its own eventId so re-imports are idempotent.
 */
export async function* syntheticEvents(shape: ShopShape, batch = 10_000): AsyncGenerator<EventRow[]> {
  const rng = createRng(11);
  const start = Date.now() / 1000 - 60 * 86400;
  let made = 0;
  let rows: EventRow[] = [];
  for (let u = 0; u < shape.users && made < shape.events; u++) {
    const mean = (shape.events - made) / (shape.users - u);
    const count = Math.max(1, Math.min(shape.events - made, Math.round(-Math.log(1 - rng()) * mean)));
    const favourites = favouriteCategories(shape, u);
    let t = start + rng() * 50 * 86400;
    let previous = -1;
    for (let e = 0; e < count; e++) {
      const item = nextItem(shape, rng, favourites, previous);
      const type = pickType(rng);
      t += 30 + rng() * (rng() < 0.1 ? 86400 : 600);
      rows.push({
        eventId: `seed-${made + e}`,
        userId: userId(u),
        itemId: itemId(item),
        type,
        value: type === 'RATING' ? 1 + randInt(rng, 5) : null,
        occurredAt: new Date(Math.min(t, Date.now() / 1000 - 60) * 1000),
      });
      previous = item;
    }
    made += count;
    if (rows.length >= batch) {
      yield rows;
      rows = [];
    }
  }
  if (rows.length) yield rows;
}
