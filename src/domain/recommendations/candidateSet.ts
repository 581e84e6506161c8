// Candidate generation for a personal list: the few hundred to few thousand items worth ranking for one shopper
// (each model's own head, which already holds the item-to-item and content neighbours of their recent items and
// the popular head; category heads of their recent items, current search intent and filter; the context prior's
// head; rule-boosted and pinned items). Ranking then fuses and normalises over these only.
import type { ServingModel } from '../models/servingModel';
import type { ComponentScores } from '../models/componentScores';
import type { CatalogIndex } from './catalogIndex';
import { RULE_SCORE_FLOOR } from '../rules/ruleSet';
import { ScoreHeap } from '../../ml/scoreHeap';

export interface CandidateLimits {
  /** Items taken from each model's head (raised to 4x the requested depth for deep pages). */
  perModel: number;
  /** Items taken from the head of each relevant category. */
  perCategory: number;
  /** Rule-boosted items that join the set whatever the models say (beyond it, the best boosted scores). */
  maxBoosted: number;
}

export const DEFAULT_CANDIDATE_LIMITS: CandidateLimits = { perModel: 200, perCategory: 50, maxBoosted: 2000 };

export interface CandidateSources {
  components: ComponentScores;
  /** True for items that may not be served (filters, stock, interacted, already served). */
  skip: (u: number) => boolean;
  /** Depth of the list asked for (offset + limit). */
  need: number;
  /** History as union indices, oldest first. */
  history: Int32Array;
  /** Categories whose heads join: intent categories and the filter's categories. */
  categories: readonly string[];
  /** Context prior rows (best first). */
  contextRows: readonly { indices: Int32Array }[];
  /** Per-item rule multipliers over the vocabulary, or null without scoring rules. */
  multipliers: Float32Array | null;
  /** Pinned items (union indices): always candidates, so a pin can take its slot. */
  pins: readonly number[];
}

/** A candidate set: union item ids by position, and the reverse lookup. Every item but the pins passed `skip`. */
export interface Candidates {
  items: Int32Array;
  /** Position of union item u in `items`, or -1. */
  positionOf(u: number): number;
}

// Distinct recent history items whose categories contribute a head.
const RECENT_CATEGORIES = 3;

interface CategoryLists {
  version: number;
  size: number;
  /** CSR: items of category code g are items[offsets[g] .. offsets[g + 1]). */
  offsets: Int32Array;
  items: Int32Array;
  names: readonly string[];
}

/** Builds candidate sets for one process; caches per served model what depends only on the catalogue. */
export class CandidateGenerator {
  private readonly byCategory = new WeakMap<ServingModel, CategoryLists>();
  private readonly boostedCache = new WeakMap<Float32Array, Int32Array>();
  /** marks[u] === mark when item u is in the set being built (generate is synchronous: one set at a time). */
  private marks = new Uint32Array(0);
  private mark = 0;

  constructor(
    private readonly catalog: CatalogIndex,
    private readonly limits: CandidateLimits = DEFAULT_CANDIDATE_LIMITS,
  ) {}

  generate(model: ServingModel, src: CandidateSources): Candidates {
    // A new mark empties the set without clearing the array.
    if (this.marks.length < model.itemIds.length) this.marks = new Uint32Array(model.itemIds.length);
    if (++this.mark === 0xffffffff) {
      this.marks.fill(0);
      this.mark = 1;
    }
    const { marks, mark } = this;
    const items: number[] = [];
    const add = (u: number) => {
      if (marks[u] !== mark) {
        marks[u] = mark;
        items.push(u);
      }
    };
    const { components, skip } = src;
    const perModel = Math.max(this.limits.perModel, 4 * src.need);
    for (let c = 0; c < components.rows.length; c++) if (components.rows[c].weight > 0) components.headOf(c, perModel, skip, add);

    const lists = this.categoryLists(model);
    const codes = this.catalog.categoryCodes(model).codes;
    const wanted = new Set<number>();
    for (const name of src.categories) {
      const g = lists.names.indexOf(name);
      if (g >= 0) wanted.add(g);
    }
    const seen = new Set<number>();
    for (let h = src.history.length - 1; h >= 0 && seen.size < RECENT_CATEGORIES; h--) {
      const u = src.history[h];
      if (seen.has(u)) continue;
      seen.add(u);
      if (u < codes.length && codes[u] >= 0) wanted.add(codes[u]);
    }
    const perCategory = Math.max(this.limits.perCategory, src.categories.length ? 2 * src.need : 0);
    for (const g of wanted) this.categoryHead(lists, g, perCategory, components, skip, add);

    const perRow = Math.max(this.limits.perCategory, src.need);
    for (const row of src.contextRows) {
      let taken = 0;
      for (let k = 0; k < row.indices.length && taken < perRow; k++) {
        if (skip(row.indices[k])) continue;
        add(row.indices[k]);
        taken++;
      }
    }
    if (src.multipliers) this.boostedHead(src.multipliers, components, skip, add);
    for (const u of src.pins) add(u);
    // In vocabulary order, so ties rank exactly as they do over the whole catalogue (lowest index first).
    const sorted = Int32Array.from(items).sort();
    return { items: sorted, positionOf: (u) => positionIn(sorted, u) };
  }

  /** The `n` eligible items of category g with the best fused model score. */
  private categoryHead(lists: CategoryLists, g: number, n: number, components: ComponentScores, skip: (u: number) => boolean, add: (u: number) => void): void {
    const from = lists.offsets[g];
    const to = lists.offsets[g + 1];
    if (to - from <= n) {
      for (let k = from; k < to; k++) if (!skip(lists.items[k])) add(lists.items[k]);
      return;
    }
    // Items are in index order, and the heap keeps the first of equal scores: ties go to the lower index.
    const heap = new ScoreHeap(n);
    for (let k = from; k < to; k++) {
      const u = lists.items[k];
      if (!skip(u)) heap.offer(u, components.fusedAt(u));
    }
    for (const u of heap.unorderedIndices()) add(u);
  }

  /**
   * Boosted items join whatever the models say (a strong boost can lift an item no model placed). When more
   * than maxBoosted are eligible, those with the best boosted score (multiplier x (fused score + floor), as
   * ranking will compute it) join: a scan of the boosted items only.
   */
  private boostedHead(multipliers: Float32Array, components: ComponentScores, skip: (u: number) => boolean, add: (u: number) => void): void {
    const boosted = this.boosted(multipliers);
    const eligible: number[] = [];
    for (const u of boosted) if (!skip(u)) eligible.push(u);
    if (eligible.length <= this.limits.maxBoosted) {
      for (const u of eligible) add(u);
      return;
    }
    // The ranking's floor is a share of the best fused score; the largest possible one stands in for it.
    const floor = RULE_SCORE_FLOOR * components.rows.reduce((s, r) => s + Math.max(0, r.weight), 0);
    const scored = eligible.map((u) => ({ u, s: multipliers[u] * (components.fusedAt(u) + floor) }));
    scored.sort((a, b) => b.s - a.s || a.u - b.u);
    for (let k = 0; k < this.limits.maxBoosted; k++) add(scored[k].u);
  }

  /** Items a rule boosts (multiplier > 1), cached per multiplier array (rebuilt by the rules on any change). */
  private boosted(multipliers: Float32Array): Int32Array {
    let hit = this.boostedCache.get(multipliers);
    if (!hit) {
      const up: number[] = [];
      for (let i = 0; i < multipliers.length; i++) if (multipliers[i] > 1) up.push(i);
      hit = Int32Array.from(up);
      this.boostedCache.set(multipliers, hit);
    }
    return hit;
  }

  /** Items by category code, rebuilt when the catalogue or the vocabulary changed. */
  private categoryLists(model: ServingModel): CategoryLists {
    const { codes, size, names } = this.catalog.categoryCodes(model);
    const hit = this.byCategory.get(model);
    if (hit && hit.version === this.catalog.version && hit.size === size && hit.names.length === names.length) return hit;
    const offsets = new Int32Array(names.length + 1);
    for (let i = 0; i < size; i++) if (codes[i] >= 0) offsets[codes[i] + 1]++;
    for (let g = 0; g < names.length; g++) offsets[g + 1] += offsets[g];
    const fill = offsets.slice(0, names.length);
    const items = new Int32Array(offsets[names.length]);
    for (let i = 0; i < size; i++) if (codes[i] >= 0) items[fill[codes[i]]++] = i;
    const lists = { version: this.catalog.version, size, offsets, items, names: names.slice() };
    this.byCategory.set(model, lists);
    return lists;
  }
}

/** Position of u in the ascending array `sorted`, or -1. */
export function positionIn(sorted: Int32Array, u: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid];
    if (v === u) return mid;
    if (v < u) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
