// Loads a benchmark's data set into the scratch database (a generated shop, or events/items CSV files) and
// gives the load generators what they need to send believable traffic: shoppers, items and a next-event rule.
import type { Pool } from 'pg';
import { createPgPool } from '../db/pgPool';
import Redis from 'ioredis';
import { importEvents, importItems } from '../domain/import/bulkImporter';
import { eventRowBatches, itemRowBatches } from '../domain/import/eventCsvRows';
import { countLines, openCsvFile } from '../io/csvRows';
import { randInt, type Rng } from '../ml/random';
import type { EventTypeName } from '../ml/interactions';
import { KeySpace } from '../redis/redisConnections';
import { favouriteCategories, itemId, nextItem, syntheticEvents, syntheticItems, userId, type ShopShape } from './syntheticShop';
import { progress } from './stats';

export interface LiveEvent {
  userId: string;
  itemId: string;
  type: EventTypeName;
}

/** Draws the events a benchmark sends; each shopper continues from their own previous item. */
export interface TrafficModel {
  /** Shoppers the live load is spread over (all have history). */
  users: string[];
  next(user: number, rng: Rng): LiveEvent;
}

export interface LoadedData {
  source: string;
  items: number;
  events: number;
  users: number;
  loadSeconds: number;
  traffic: TrafficModel;
}

function progressReporter(label: string): (p: { done: number; total: number }) => void {
  let last = 0;
  return ({ done, total }) => {
    if (performance.now() - last < 5000 && done < total) return;
    last = performance.now();
    progress(`${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
  };
}

function generatedTraffic(shape: ShopShape, trafficUsers: number): TrafficModel {
  const count = Math.min(trafficUsers, shape.users);
  const previous = new Int32Array(count).fill(-1);
  const favourites = Array.from({ length: count }, (_, u) => favouriteCategories(shape, u));
  return {
    users: Array.from({ length: count }, (_, u) => userId(u)),
    next(u, rng) {
      const item = nextItem(shape, rng, favourites[u], previous[u]);
      previous[u] = item;
      return { userId: userId(u), itemId: itemId(item), type: rng() < 0.85 ? 'VIEW' : rng() < 0.6 ? 'CLICK' : 'ADD_TO_CART' };
    },
  };
}

/** For a CSV data set: the most active shoppers, and items drawn from each shopper's own history. */
async function csvTraffic(pool: Pool, trafficUsers: number): Promise<TrafficModel> {
  const users = (
    await pool.query<{ user_id: string }>(`SELECT user_id FROM events GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT $1`, [trafficUsers])
  ).rows.map((r) => r.user_id);
  const rows = await pool.query<{ user_id: string; items: string[] }>(
    `SELECT user_id, array_agg(item_id) AS items FROM events WHERE user_id = ANY($1) AND item_id IS NOT NULL GROUP BY user_id`,
    [users],
  );
  const popular = (await pool.query<{ item_id: string }>(`SELECT item_id FROM events WHERE item_id IS NOT NULL GROUP BY item_id ORDER BY count(*) DESC LIMIT 5000`)).rows.map((r) => r.item_id);
  const history = new Map(rows.rows.map((r) => [r.user_id, r.items]));
  return {
    users,
    next(u, rng) {
      const own = history.get(users[u]) ?? popular;
      const pool = rng() < 0.5 ? own : popular;
      return { userId: users[u], itemId: pool[randInt(rng, pool.length)], type: 'VIEW' };
    },
  };
}

export async function loadGeneratedShop(databaseUrl: string, shape: ShopShape, trafficUsers: number): Promise<LoadedData> {
  const pool = createPgPool(databaseUrl, 3);
  pool.on('error', () => undefined);
  const started = performance.now();
  try {
    await importItems(pool, (async function* () {
      yield* syntheticItems(shape);
    })(), { total: shape.items, onProgress: progressReporter('items') });
    const stats = await importEvents(pool, syntheticEvents(shape), { total: shape.events, onProgress: progressReporter('events') });
    const users = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0].n;
    return {
      source: `generated: ${shape.items.toLocaleString('en-US')} items in ${shape.categories} categories, ${shape.users.toLocaleString('en-US')} shoppers, planted category loyalty and bought-together pairs`,
      items: shape.items,
      events: stats.stored,
      users: Number(users),
      loadSeconds: (performance.now() - started) / 1000,
      traffic: generatedTraffic(shape, trafficUsers),
    };
  } finally {
    await pool.end();
  }
}

export async function loadCsvDataSet(databaseUrl: string, events: string, items: string | undefined, trafficUsers: number): Promise<LoadedData> {
  const pool = createPgPool(databaseUrl, 3);
  pool.on('error', () => undefined);
  const started = performance.now();
  try {
    if (items) await importItems(pool, itemRowBatches(openCsvFile(items)), { total: await countLines(items), onProgress: progressReporter('items') });
    const stats = await importEvents(pool, eventRowBatches(openCsvFile(events)), { total: await countLines(events), onProgress: progressReporter('events') });
    // Events may name items the catalogue lacks (no items file): give them a minimal catalogue entry, so
    // they can be recommended like in a shop that upserted its catalogue.
    await pool.query(
      `INSERT INTO items (id, title, updated_at)
       SELECT DISTINCT e.item_id, 'item ' || e.item_id, now() FROM events e
       WHERE e.item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM items i WHERE i.id = e.item_id)`,
    );
    const counts = (await pool.query<{ items: string; users: string }>('SELECT (SELECT count(*) FROM items) AS items, (SELECT count(*) FROM users) AS users')).rows[0];
    return {
      source: `${events}${items ? ` + ${items}` : ''}`,
      items: Number(counts.items),
      events: stats.stored,
      users: Number(counts.users),
      loadSeconds: (performance.now() - started) / 1000,
      traffic: await csvTraffic(pool, trafficUsers),
    };
  } finally {
    await pool.end();
  }
}

/**
 * Tells the bot detector these shoppers are regulars (first seen a day ago). Without it every shopper with
 * loaded history is "new" to it for ten minutes, and a popular item viewed by 30 of them in a minute would be
 * flagged as a click farm: the benchmark would measure the fraud path, not the serving path.
 */
export async function markAsRegulars(redisUrl: string, prefix: string, users: string[]): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const keys = new KeySpace(prefix);
  const since = String(Date.now() - 86_400_000);
  try {
    for (let k = 0; k < users.length; k += 1000) {
      const p = redis.pipeline();
      for (const u of users.slice(k, k + 1000)) p.set(keys.key('fraud', 'seen', u), since, 'EX', 86400);
      await p.exec();
    }
  } finally {
    redis.disconnect();
  }
}
