// Turns scores into the served slice of a list: top-K of the eligible items, a cap on the share of any one
// category (diversity), pinned items at their slots, then the page [offset, offset + limit).
import { topK } from '../../ml/topK';

export interface AssemblyInput {
  scores: Float32Array;
  /** True for items that may not appear (filters, stock, already served, interacted). */
  skip: (i: number) => boolean;
  limit: number;
  offset: number;
  /** Category of item i, for the diversity cap. */
  categoryOf: (i: number) => string | null;
  /** Largest share (0..1] of one category in the list; 1 or null turns the cap off. */
  maxCategoryShare: number | null;
  /** Pinned item indices with their 0-based slots in the whole list, slot order. */
  pins: { index: number; slot: number }[];
}

export interface AssembledList {
  indices: number[];
  scores: number[];
  /** Indices of the served items that are there because a rule pinned them. */
  pinned: Set<number>;
}

// Candidates considered when the cap is on: enough for other categories to fill in. The floor keeps the pool
// the same for every usual list length, so a short list is the head of a longer one.
const POOL_FACTOR = 4;
const MIN_POOL = 200;

export function assembleList(input: AssemblyInput): AssembledList {
  const { scores, skip, limit, offset, categoryOf, pins } = input;
  const need = offset + limit;
  // A pin holds its slot only when the item may appear at all; it never appears a second time organically.
  const placed = pins.filter((p) => p.slot < need && p.index < scores.length && !skip(p.index));
  const pinnedSet = new Set(placed.map((p) => p.index));
  const organicSkip = pinnedSet.size ? (i: number) => pinnedSet.has(i) || skip(i) : skip;
  const share = input.maxCategoryShare;
  const capped = share !== null && share < 1;
  const pool = topK(scores, capped ? Math.max(MIN_POOL, need * POOL_FACTOR) : need, organicSkip);
  const order = capped ? diversify(pool.indices, need, share, categoryOf) : Array.from(pool.indices);

  const slots: number[] = [];
  let next = 0;
  let p = 0;
  while (slots.length < need) {
    if (p < placed.length && placed[p].slot <= slots.length) slots.push(placed[p++].index);
    else if (next < order.length) slots.push(order[next++]);
    else if (p < placed.length) slots.push(placed[p++].index); // list shorter than the pin's slot: it closes the list
    else break;
  }
  const page = slots.slice(offset, need);
  // A pinned item may have no score of its own (-Infinity): it shows as 0.
  return { indices: page, scores: page.map((i) => (Number.isFinite(scores[i]) ? scores[i] : 0)), pinned: new Set(page.filter((i) => pinnedSet.has(i))) };
}

/**
 * Greedy, position by position: the best remaining item whose category would still hold at most
 * max(1, floor(share * (k + 1))) of the first k + 1 positions. Every prefix of the list respects the share, so
 * a list asked for with a small limit is the head of the same list with a larger one (a pushed list, computed
 * once at its full length, shows subscribers what their query would return). When no remaining item qualifies,
 * the best one fills the slot: a list that can only hold one category is not cut short.
 */
function diversify(ranked: Int32Array, need: number, share: number, categoryOf: (i: number) => string | null): number[] {
  // Categories looked up once per candidate, and taken items flagged rather than spliced out: the scan below
  // otherwise costs a lookup per candidate per position, on every list served and pushed.
  const categories: (string | null)[] = [];
  for (let k = 0; k < ranked.length; k++) categories.push(categoryOf(ranked[k]));
  const taken = new Uint8Array(ranked.length);
  const counts = new Map<string, number>();
  const out: number[] = [];
  let first = 0;
  while (out.length < need && first < ranked.length) {
    const cap = Math.max(1, Math.floor(share * (out.length + 1)));
    let pick = first;
    for (let k = first; k < ranked.length; k++) {
      const c = categories[k];
      if (!taken[k] && (c === null || (counts.get(c) ?? 0) < cap)) {
        pick = k;
        break;
      }
    }
    taken[pick] = 1;
    const c = categories[pick];
    if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
    out.push(ranked[pick]);
    while (first < ranked.length && taken[first]) first++;
  }
  return out;
}
