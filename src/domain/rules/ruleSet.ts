// The active rules, ready to apply: which items a rule matches, the score multiplier of an item on a surface,
// the pins of a surface, and dense multiplier arrays over a served model's vocabulary (cached until the rules
// or the catalogue change) for the top-K loop of the list-building surfaces.
import type { ServingModel } from '../models/servingModel';
import type { CatalogIndex, ItemAttributes } from '../recommendations/catalogIndex';
import type { Rule, RuleSurface } from './rule';

/**
 * Before a rule's factor applies, every ranked item counts as having at least this share of the best score, so a
 * strong boost can surface items the models know little about (a product a shopper has never come near).
 */
export const RULE_SCORE_FLOOR = 0.05;

type Matchable = Pick<ItemAttributes, 'id' | 'category' | 'brand' | 'tags' | 'price'>;

/** All of a rule's conditions hold (a list matches when the item has any of its entries). */
export function ruleMatches(rule: Rule, item: Matchable): boolean {
  if (rule.itemIds.length && !rule.itemIds.includes(item.id)) return false;
  if (rule.categories.length && (item.category === null || !rule.categories.includes(item.category))) return false;
  if (rule.brands.length && (item.brand === null || !rule.brands.includes(item.brand))) return false;
  if (rule.tags.length && !item.tags.some((t) => rule.tags.includes(t))) return false;
  if (rule.minPrice !== null && !(item.price !== null && item.price >= rule.minPrice)) return false;
  if (rule.maxPrice !== null && !(item.price !== null && item.price <= rule.maxPrice)) return false;
  return true;
}

export interface Pin {
  itemId: string;
  /** 0-based slot in the whole list (across pages). */
  slot: number;
  ruleId: string;
}

export class RuleSet {
  private readonly dense = new Map<string, { model: WeakRef<ServingModel>; catalogVersion: number; multipliers: Float32Array }>();

  constructor(
    readonly rules: readonly Rule[],
    /** Grows with every load, so caches keyed on it never serve an older set. */
    readonly version: number,
  ) {}

  private on(surface: RuleSurface): Rule[] {
    return this.rules.filter((r) => !r.surfaces.length || r.surfaces.includes(surface));
  }

  /** True when some BOOST or BURY rule applies to the surface. */
  scores(surface: RuleSurface): boolean {
    return this.on(surface).some((r) => r.action !== 'PIN');
  }

  /** Product of the factors of every BOOST and BURY rule matching the item on the surface (1 = untouched). */
  multiplierFor(item: Matchable, surface: RuleSurface): number {
    let m = 1;
    for (const r of this.on(surface)) if (r.action !== 'PIN' && ruleMatches(r, item)) m *= r.factor as number;
    return m;
  }

  /**
   * The pinned items of a surface, each with its slot: a rule's items follow each other from its position, and
   * a slot already taken (by an earlier rule) moves an item to the next free one. An item pinned twice keeps
   * its first slot.
   */
  pins(surface: RuleSurface): Pin[] {
    const taken = new Set<number>();
    const seen = new Set<string>();
    const out: Pin[] = [];
    for (const r of this.on(surface)) {
      if (r.action !== 'PIN') continue;
      let slot = (r.position as number) - 1;
      for (const itemId of r.itemIds) {
        if (seen.has(itemId)) continue;
        while (taken.has(slot)) slot++;
        taken.add(slot);
        seen.add(itemId);
        out.push({ itemId, slot, ruleId: r.id });
        slot++;
      }
    }
    return out.sort((a, b) => a.slot - b.slot);
  }

  /**
   * Per-item multipliers over the model's vocabulary for the surface, or null when no rule scores there.
   * Built once per (model, surface) and rebuilt when the catalogue changed.
   */
  multipliers(model: ServingModel, catalog: CatalogIndex, surface: RuleSurface): Float32Array | null {
    if (!this.scores(surface)) return null;
    const key = `${model.versionId}:${model.label}:${surface}`;
    const hit = this.dense.get(key);
    if (hit && hit.model.deref() === model && hit.catalogVersion === catalog.version && hit.multipliers.length === model.numItems) return hit.multipliers;
    const rules = this.on(surface).filter((r) => r.action !== 'PIN');
    const multipliers = new Float32Array(model.numItems).fill(1);
    for (let i = 0; i < multipliers.length; i++) {
      const item = catalog.attributesOf(model, i);
      if (!item) continue;
      for (const r of rules) if (ruleMatches(r, item)) multipliers[i] *= r.factor as number;
    }
    this.dense.set(key, { model: new WeakRef(model), catalogVersion: catalog.version, multipliers });
    return multipliers;
  }
}
