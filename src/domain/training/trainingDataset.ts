// Reads the training window from Postgres in pages (never the whole table at once) and packs it into the
// flat typed arrays src/ml trains on. Flagged events are left out of training.
import type { Db } from '../../db/prismaClient';
import { DEFAULT_EVENT_WEIGHTS, EVENT_TYPES, type EventTypeName, type Interactions, type ItemMeta } from '../../ml/interactions';

export interface TrainingDataset {
  interactions: Interactions;
  items: ItemMeta[];
  window: { fromEventId: string; toEventId: string; events: number; users: number; items: number; from: string | null; to: string | null };
}

const PAGE = 50_000;

/** A stored event that cannot be trained on; the retrain fails (and retries) rather than train on it. */
export class CorruptEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptEventError';
  }
}

/** Implicit-feedback strength of one event; ratings scale with their value (1..5). */
export function eventWeight(type: EventTypeName, value: number | null): number {
  const base = DEFAULT_EVENT_WEIGHTS[type];
  if (type === 'RATING' && value !== null) return base * Math.max(0.2, Math.min(value, 5) / 5);
  return base;
}

export async function loadTrainingDataset(db: Db, onPage?: (events: number) => void): Promise<TrainingDataset> {
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const users: number[] = [];
  const items: number[] = [];
  const times: number[] = [];
  const types: number[] = [];
  const weights: number[] = [];
  let lastId = 0n;
  let firstId: bigint | null = null;
  for (;;) {
    const rows = await db.event.findMany({
      where: { id: { gt: lastId }, flagged: false, itemId: { not: null } },
      orderBy: { id: 'asc' },
      take: PAGE,
      select: { id: true, userId: true, itemId: true, type: true, value: true, occurredAt: true },
    });
    for (const r of rows) {
      const type = r.type as EventTypeName;
      const w = eventWeight(type, r.value);
      const time = r.occurredAt.getTime() / 1000;
      // A NaN weight or time would silently poison every model trained on it: refuse to train instead.
      if (!Number.isFinite(w) || !Number.isFinite(time)) {
        throw new CorruptEventError(`event ${r.id} (${type}, value ${r.value}, occurredAt ${Number.isFinite(time) ? r.occurredAt.toISOString() : 'invalid'}) has no finite weight or time`);
      }
      if (w <= 0) continue; // removals and searches carry no preference for an item
      let u = userIndex.get(r.userId);
      if (u === undefined) userIndex.set(r.userId, (u = userIndex.size));
      let i = itemIndex.get(r.itemId as string);
      if (i === undefined) itemIndex.set(r.itemId as string, (i = itemIndex.size));
      users.push(u);
      items.push(i);
      times.push(time);
      types.push(EVENT_TYPES.indexOf(type));
      weights.push(w);
    }
    if (rows.length) {
      firstId ??= rows[0].id;
      lastId = rows[rows.length - 1].id;
      onPage?.(users.length);
    }
    if (rows.length < PAGE) break;
  }
  const interactions = packByUser(users, items, times, types, weights, [...userIndex.keys()], [...itemIndex.keys()]);
  const meta = await loadItemMeta(db, interactions.itemIds);
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const t of times) {
    if (t < minTime) minTime = t;
    if (t > maxTime) maxTime = t;
  }
  return {
    interactions,
    items: meta,
    window: {
      fromEventId: (firstId ?? 0n).toString(),
      toEventId: lastId.toString(),
      events: users.length,
      users: userIndex.size,
      items: itemIndex.size,
      from: times.length ? new Date(minTime * 1000).toISOString() : null,
      to: times.length ? new Date(maxTime * 1000).toISOString() : null,
    },
  };
}

/** Sorts rows by user, then time, then ingestion order, and builds the CSR offsets. */
export function packByUser(
  users: number[],
  items: number[],
  times: number[],
  types: number[],
  weights: number[],
  userIds: string[],
  itemIds: string[],
): Interactions {
  const n = users.length;
  const order = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => users[a] - users[b] || times[a] - times[b] || a - b);
  const out: Interactions = {
    userIds,
    itemIds,
    users: new Int32Array(n),
    items: new Int32Array(n),
    times: new Float64Array(n),
    types: new Uint8Array(n),
    weights: new Float32Array(n),
    userOffsets: new Int32Array(userIds.length + 1),
  };
  order.forEach((src, dst) => {
    out.users[dst] = users[src];
    out.items[dst] = items[src];
    out.times[dst] = times[src];
    out.types[dst] = types[src];
    out.weights[dst] = weights[src];
    out.userOffsets[users[src] + 1]++;
  });
  for (let u = 0; u < userIds.length; u++) out.userOffsets[u + 1] += out.userOffsets[u];
  return out;
}

async function loadItemMeta(db: Db, itemIds: string[]): Promise<ItemMeta[]> {
  const byId = new Map<string, ItemMeta>();
  for (let start = 0; start < itemIds.length; start += 20000) {
    const rows = await db.item.findMany({
      where: { id: { in: itemIds.slice(start, start + 20000) } },
      select: { id: true, title: true, description: true, category: true, brand: true, tags: true, price: true },
    });
    for (const r of rows) byId.set(r.id, r);
  }
  // Items seen in events but never upserted still need an entry at their index.
  return itemIds.map((id) => byId.get(id) ?? { id, title: id });
}
