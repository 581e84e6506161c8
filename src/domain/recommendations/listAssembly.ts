// Turns scores into the served slice of a list: top-K of the eligible items, a cap on the share of any one
// category (diversity), pinned items at their slots, then the page [offset, offset + limit).
import { topK } from '../../ml/topK';
import { rankedStream } from '../../ml/rankedStream';

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
  const order = capped ? diversify(rankedStream(scores, Math.max(MIN_POOL, need * POOL_FACTOR), organicSkip), need, share, categoryOf) : Array.from(topK(scores, need, organicSkip).indices);

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
 * a list asked for with a small limit is the head of the same list with a larger one (a pushed list, ranked as deep
 * as its deepest subscription, shows every subscriber what their query would return). When no remaining item qualifies,
 * the best one fills the slot: a list that can only hold one category is not cut short.
 */
function diversify(next: () => number, need: number, share: number, categoryOf: (i: number) => string | null): number[] {
  // Items drawn from the ranking but not placed yet (their category was full), in rank order, with their
  // categories: each position takes the first of them that fits, else draws until one does. Only drawn items are
  // looked up, and a list usually draws not many more than it places.
  const waiting: number[] = [];
  const waitingCategory: (string | null)[] = [];
  const counts = new Map<string, number>();
  const out: number[] = [];
  let drained = false;
  while (out.length < need) {
    const cap = Math.max(1, Math.floor(share * (out.length + 1)));
    const fits = (c: string | null) => c === null || (counts.get(c) ?? 0) < cap;
    let item = -1;
    let category: string | null = null;
    for (let k = 0; k < waiting.length; k++) {
      if (fits(waitingCategory[k])) {
        item = waiting.splice(k, 1)[0];
        category = waitingCategory.splice(k, 1)[0];
        break;
      }
    }
    while (item < 0 && !drained) {
      const i = next();
      if (i < 0) {
        drained = true;
        break;
      }
      const c = categoryOf(i);
      if (fits(c)) {
        item = i;
        category = c;
      } else {
        waiting.push(i);
        waitingCategory.push(c);
      }
    }
    if (item < 0) {
      if (!waiting.length) break;
      item = waiting.shift() as number;
      category = waitingCategory.shift() as string | null;
    }
    if (category !== null) counts.set(category, (counts.get(category) ?? 0) + 1);
    out.push(item);
  }
  return out;
}
