// Small generated data sets with planted structure for the model tests (never real data).
import type { Interactions, ItemMeta } from '../../../src/ml/interactions';
import { parseEventsCsv } from '../../../src/ml/evaluation/eventsCsv';
import { createRng, randInt } from '../../../src/ml/random';

export interface SyntheticEvent {
  user: string;
  item: string;
  time: number;
  type?: string;
  value?: number;
}

/** Interactions through the real CSV loader, so tests see exactly what the eval sees. */
export function interactionsFrom(events: SyntheticEvent[]): Interactions {
  const lines = ['user_id,item_id,timestamp,type,value'];
  for (const e of events) lines.push(`${e.user},${e.item},${e.time},${e.type ?? 'VIEW'},${e.value ?? ''}`);
  return parseEventsCsv(lines.join('\n'));
}

/**
 * Disjoint item chains c0 -> c1 -> ... : each user walks `steps` consecutive items of one chain from a
 * random start, so the next item is fully determined by the last one. Chain heads are popular decoys:
 * many extra users view only them, so popularity points the wrong way.
 */
export function chainEvents(opts: { users?: number; chains?: number; chainLength?: number; steps?: number; seed?: number } = {}): SyntheticEvent[] {
  const users = opts.users ?? 150;
  const chains = opts.chains ?? 6;
  const chainLength = opts.chainLength ?? 10;
  const steps = opts.steps ?? 5;
  const rng = createRng(opts.seed ?? 11);
  const events: SyntheticEvent[] = [];
  for (let u = 0; u < users; u++) {
    const chain = randInt(rng, chains);
    const start = randInt(rng, chainLength - steps + 1);
    for (let s = 0; s < steps; s++) events.push({ user: `u${u}`, item: `c${chain}_${start + s}`, time: 1000 + u * 100 + s });
  }
  // One tour per chain walks all of it and then an exit item, so every transition is seen in training.
  for (let c = 0; c < chains; c++) {
    for (let s = 0; s < chainLength; s++) events.push({ user: `tour${c}`, item: `c${c}_${s}`, time: 100 + s });
    events.push({ user: `tour${c}`, item: 'exit', time: 100 + chainLength });
  }
  // Two events each: decoys are train-only under leave-last-out.
  for (let u = 0; u < users; u++) {
    events.push({ user: `decoy${u}`, item: `c${u % chains}_0`, time: 500 });
    events.push({ user: `decoy${u}`, item: `c${(u + 1) % chains}_0`, time: 501 });
  }
  return events;
}

/**
 * Users who only buy within one category: each picks a category and buys `perUser` distinct random
 * items of it. Items carry their category, a category word in the title and a brand.
 */
export function categoryData(opts: { users?: number; categories?: number; itemsPerCategory?: number; perUser?: number; seed?: number } = {}): {
  events: SyntheticEvent[];
  catalogue: ItemMeta[];
} {
  const users = opts.users ?? 200;
  const categories = opts.categories ?? 8;
  const perCategory = opts.itemsPerCategory ?? 15;
  const perUser = opts.perUser ?? 6;
  const rng = createRng(opts.seed ?? 5);
  const words = ['apple', 'brick', 'cloud', 'delta', 'ember', 'frost', 'grove', 'haze', 'iris', 'jade'];
  const catalogue: ItemMeta[] = [];
  for (let c = 0; c < categories; c++) {
    for (let i = 0; i < perCategory; i++) {
      catalogue.push({
        id: `k${c}_${i}`,
        title: `${words[c % words.length]} thing ${i}`,
        category: `cat-${c}`,
        brand: `brand-${c}`,
        tags: [`tag-${c}`],
        price: 10 + c,
      });
    }
  }
  const events: SyntheticEvent[] = [];
  for (let u = 0; u < users; u++) {
    const c = randInt(rng, categories);
    const picked = new Set<number>();
    while (picked.size < perUser) picked.add(randInt(rng, perCategory));
    let s = 0;
    for (const i of picked) events.push({ user: `u${u}`, item: `k${c}_${i}`, time: 10_000 + u * 50 + s++, type: 'PURCHASE' });
  }
  // Category 0 is the best seller overall, so popularity alone recommends it to everyone.
  for (let u = 0; u < users; u++) events.push({ user: `fan${u}`, item: `k0_${u % perCategory}`, time: 20_000 + u, type: 'PURCHASE' });
  return { events, catalogue };
}
