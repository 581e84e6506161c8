// Candidate generation then ranking gives the lists whole-catalogue ranking gives: same items, same order, same
// scores, under filters, rules, intent, pagination and diversity, and falls back when candidates run short.
import { ServingModel } from '../../src/domain/models/servingModel';
import { CatalogIndex } from '../../src/domain/recommendations/catalogIndex';
import { RecommendationService, type ListExtras } from '../../src/domain/recommendations/recommendationService';
import type { ItemFilter } from '../../src/domain/recommendations/catalogIndex';
import { RuleSet } from '../../src/domain/rules/ruleSet';
import { validateRules } from '../../src/domain/rules/rule';
import type { Recommender } from '../../src/ml/recommender';
import type { UserHistory } from '../../src/ml/interactions';
import { createRng } from '../../src/ml/random';
import type { HistoryEntry } from '../../src/domain/users/userStateStore';
import type { UserHistoryReader } from '../../src/domain/users/userHistory';
import type { ImpressionRecorder } from '../../src/domain/recommendations/impressionRecorder';
import { inMemoryCatalogue } from '../../src/bench/inMemoryCatalogue';

const N = 3000;
const CATEGORIES = 30;

/** A "neighbour" model: items near the history's items (same category, close index) score high. */
function neighbourModel(): Recommender {
  return {
    kind: 'itemknn',
    numItems: N,
    fit: async () => undefined,
    scoreUser: (h: UserHistory, out: Float32Array) => {
      out.fill(0);
      for (let k = 0; k < h.items.length; k++) {
        const base = h.items[k];
        for (let d = 1; d <= 60; d++) if (base + d < N) out[base + d] += (1 + k) / d;
      }
    },
    similarItems: (item: number, out: Float32Array) => {
      out.fill(0);
      for (let d = 1; d <= 5; d++) if (item + d < N) out[item + d] = 1 / d;
    },
    save: () => ({}),
    dispose: () => undefined,
  };
}

/** A popularity model: fixed skewed scores, -Infinity for a few items it knows nothing of. */
function popularityModel(): Recommender {
  const rng = createRng(5);
  const scores = Float32Array.from({ length: N }, (_, i) => (i % 97 === 13 ? -Infinity : Math.pow(rng(), 3) * 100));
  return { kind: 'pop', numItems: N, fit: async () => undefined, scoreUser: (_h, out) => out.set(scores), save: () => ({}), dispose: () => undefined };
}

const itemIds = Array.from({ length: N }, (_, i) => `item-${String(i).padStart(5, '0')}`);
const rows = itemIds.map((id, i) => ({
  id,
  title: `Item ${i}`,
  description: null,
  category: i % 211 === 7 ? null : `cat-${Math.floor(i / (N / CATEGORIES))}`,
  brand: `brand-${i % 7}`,
  tags: [`tag-${i % 5}`],
  price: 1 + (i % 50),
  inStock: i % 23 !== 4,
}));

const catalogueRows = inMemoryCatalogue(rows);

async function setUp(rules: RuleSet | null = null, maxCategoryShare: number | null = 0.5) {
  const model = new ServingModel(1, 'v1', [
    { kind: 'itemknn', model: neighbourModel(), weight: 1, itemIds },
    { kind: 'pop', model: popularityModel(), weight: 0.4, itemIds },
  ]);
  const catalog = new CatalogIndex(catalogueRows as never);
  await catalog.prepare(model);
  const router = { forUser: () => ({ model, arm: null, experimentId: null }) };
  const make = (candidates: { perModel: number; perCategory: number; maxBoosted: number } | null) =>
    new RecommendationService(router, catalog, {} as UserHistoryReader, { record: () => undefined } as unknown as ImpressionRecorder, true, {
      rules: rules ? { set: rules } : undefined,
      maxCategoryShare,
      candidates,
    });
  // Small heads, so the candidate set is a small part of the catalogue.
  return { model, withCandidates: make({ perModel: 40, perCategory: 10, maxBoosted: 50 }), wholeCatalogue: make(null) };
}

function history(items: number[]): HistoryEntry[] {
  return items.map((i, k) => ({ itemId: itemIds[i], time: 1000 + k, type: 0 }));
}

const shoppers = [[], [5], [120, 131, 990], [2500, 2510, 17, 1800, 1801, 1802], Array.from({ length: 40 }, (_, k) => (k * 71) % N)];

describe('candidate generation then ranking', () => {
  const cases: { name: string; filter?: ItemFilter; extras?: ListExtras; limit?: number }[] = [
    { name: 'plain' },
    { name: 'a long list', limit: 50 },
    { name: 'a category filter', filter: { categories: ['cat-3', 'cat-20'] } },
    { name: 'a price band and an excluded category', filter: { minPrice: 10, maxPrice: 20, excludeCategories: ['cat-0'] } },
    { name: 'interacted items allowed', filter: { excludeInteracted: false } },
    { name: 'a second page', extras: { offset: 10 } },
    { name: 'served items excluded', extras: { exclude: new Set(itemIds.slice(0, 400)) } },
    { name: 'a search intent', extras: { intent: { query: 'boots', categories: new Map([['cat-12', 1], ['cat-25', 0.4]]) } } },
  ];

  it.each(cases)('ranks like the whole catalogue: $name', async ({ filter, extras, limit }) => {
    const { withCandidates, wholeCatalogue } = await setUp();
    for (const items of shoppers) {
      const activity = { entries: history(items), embedding: null };
      const a = withCandidates.listForHistory('u', activity, limit ?? 10, filter, null, extras);
      const b = wholeCatalogue.listForHistory('u', activity, limit ?? 10, filter, null, extras);
      expect(a.items.map((i) => i.id)).toEqual(b.items.map((i) => i.id));
      a.items.forEach((item, k) => {
        expect(item.score).toBeCloseTo(b.items[k].score, 5);
        expect(item.reasons).toEqual(b.items[k].reasons);
      });
    }
  });

  it('ranks like the whole catalogue under boosts, buries and pins', async () => {
    const rules = new RuleSet(
      validateRules([
        { action: 'BOOST', categories: ['cat-29'], factor: 40 },
        { action: 'BURY', brands: ['brand-3'], factor: 0.2 },
        { action: 'PIN', itemIds: [itemIds[2222]], position: 2 },
      ] as never),
      1,
    );
    const { withCandidates, wholeCatalogue } = await setUp(rules);
    for (const items of shoppers) {
      const activity = { entries: history(items), embedding: null };
      const a = withCandidates.listForHistory('u', activity, 10);
      const b = wholeCatalogue.listForHistory('u', activity, 10);
      expect(a.items.map((i) => i.id)).toEqual(b.items.map((i) => i.id));
      expect(a.items[1].id).toBe(itemIds[2222]);
      // The boost lifts the boosted category into the list, up to the diversity cap (half of it, one slot pinned).
      expect(a.items.filter((i) => i.id >= itemIds[2900]).length).toBeGreaterThanOrEqual(4);
    }
  });

  it('lists every eligible item under a narrow filter, as the whole catalogue does', async () => {
    const { withCandidates, wholeCatalogue } = await setUp();
    // A narrow price band in three categories: fewer eligible items than asked for, mostly far from the shopper.
    const filter: ItemFilter = { minPrice: 49, maxPrice: 50, categories: ['cat-1', 'cat-2', 'cat-27'] };
    const activity = { entries: history([2000, 2001]), embedding: null };
    const a = withCandidates.listForHistory('u', activity, 20, filter);
    const b = wholeCatalogue.listForHistory('u', activity, 20, filter);
    expect(a.items.length).toBeGreaterThan(0);
    expect(a.items.length).toBeLessThan(20);
    expect(a.items.map((i) => i.id)).toEqual(b.items.map((i) => i.id));
  });

  it('scores any asked-for items as the dense fusion does (personalised search)', async () => {
    const { model, withCandidates } = await setUp();
    const entries = history([120, 131, 990]);
    const asked = [itemIds[121], itemIds[2999], 'not-an-item', itemIds[7], itemIds[121]];
    const histories = { recent: async () => ({ entries, embedding: null }) } as unknown as UserHistoryReader;
    const service = new RecommendationService({ forUser: () => ({ model, arm: null, experimentId: null }) }, (withCandidates as unknown as { catalog: CatalogIndex }).catalog, histories, { record: () => undefined } as unknown as ImpressionRecorder, true, {});
    const prefs = await service.scoreItems('u', asked);
    const dense = model.score(model.toHistory(entries.map((e) => ({ ...e, weight: 1 }))));
    expect(prefs).not.toBeNull();
    asked.forEach((id, k) => {
      const i = model.index.get(id);
      expect(prefs?.scores[k]).toBeCloseTo(i === undefined ? 0 : dense.fused[i], 5);
    });
    expect(prefs?.reasons(0).map((r) => r.source)).toContain('itemknn');
    expect(prefs?.reasons(2)).toEqual([]);
  });
});
