// Serving with the approximate item index (a low ANN_MIN_ITEMS) gives nearly the lists exact scoring gives, and
// filters, exclusions of seen items and rules still hold: an mf model over planted clusters, fused with popularity.
import { ServingModel } from '../../src/domain/models/servingModel';
import { ItemIndexHook } from '../../src/domain/models/itemIndexHook';
import { CatalogIndex, type ItemFilter } from '../../src/domain/recommendations/catalogIndex';
import { RecommendationService } from '../../src/domain/recommendations/recommendationService';
import { RuleSet } from '../../src/domain/rules/ruleSet';
import { validateRules } from '../../src/domain/rules/rule';
import { loadMatrixFactorization, MF_DEFAULTS } from '../../src/ml/models/matrixFactorization';
import { ActiveModel } from '../../src/domain/models/activeModel';
import { withVocabulary } from '../../src/domain/models/modelArtifacts';
import type { ModelVersionStore } from '../../src/domain/models/modelVersionStore';
import type { RedisPubSub } from '../../src/pubsub/redisPubSub';
import type { Logger } from '../../src/logger';
import { arrayBytes, jsonBytes } from '../../src/ml/models/artifactCodec';
import type { Recommender } from '../../src/ml/recommender';
import { createRng, randNormal } from '../../src/ml/random';
import type { HistoryEntry } from '../../src/domain/users/userStateStore';
import type { UserHistoryReader } from '../../src/domain/users/userHistory';
import type { ImpressionRecorder } from '../../src/domain/recommendations/impressionRecorder';
import { inMemoryCatalogue } from '../../src/bench/inMemoryCatalogue';

const N = 6000;
const DIM = 16;
const CATEGORIES = 40;
const itemIds = Array.from({ length: N }, (_, i) => `item-${String(i).padStart(5, '0')}`);
const categoryOf = (i: number) => i % CATEGORIES;
// Tastes cut across categories, so the shopper's category heads alone cannot stand in for the index's head.
const TASTES = 40;
const tasteOf = (i: number) => Math.floor((i * TASTES) / N);

/** An mf model whose item embeddings sit around one centre per taste, with a popularity bias. */
function plantedMf(): Recommender {
  return loadMatrixFactorization(plantedMfArtifacts());
}

function plantedMfArtifacts() {
  const rng = createRng(7);
  const centres = Float32Array.from({ length: TASTES * DIM }, () => randNormal(rng) * 0.5);
  const items = new Float32Array(N * DIM);
  const bias = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < DIM; j++) items[i * DIM + j] = centres[tasteOf(i) * DIM + j] + randNormal(rng) * 0.15;
    bias[i] = randNormal(rng) * 0.2;
  }
  const header = { format: 'freshrec-mf', version: 1, dim: DIM, numUsers: 0, numItems: N, params: { ...MF_DEFAULTS, dim: DIM }, trainedEpochs: 1 };
  return {
    header: jsonBytes(header),
    userEmbeddings: arrayBytes(new Float32Array(0)),
    itemEmbeddings: arrayBytes(items),
    itemBias: arrayBytes(bias),
    trainedUsers: arrayBytes(new Uint8Array(0)),
  };
}

function popularity(): Recommender {
  const rng = createRng(5);
  const scores = Float32Array.from({ length: N }, () => Math.pow(rng(), 3) * 100);
  return { kind: 'pop', numItems: N, fit: async () => undefined, scoreUser: (_h, out) => out.set(scores), save: () => ({}), dispose: () => undefined };
}

const rows = itemIds.map((id, i) => ({
  id,
  title: `Item ${i}`,
  description: null,
  category: `cat-${categoryOf(i)}`,
  brand: `brand-${i % 7}`,
  tags: [],
  price: 1 + (i % 50),
  inStock: i % 23 !== 4,
}));
const catalogueRows = inMemoryCatalogue(rows);

async function service(annMinItems: number, rules: RuleSet | null = null) {
  const model = new ServingModel(1, 'v1', [
    { kind: 'mf', model: plantedMf(), weight: 1, itemIds },
    { kind: 'pop', model: popularity(), weight: 0.3, itemIds },
  ]);
  const catalog = new CatalogIndex(catalogueRows as never);
  await catalog.prepare(model);
  await new ItemIndexHook(annMinItems).prepare(model);
  const router = { forUser: () => ({ model, arm: null, experimentId: null }) };
  const recommendations = new RecommendationService(router, catalog, {} as UserHistoryReader, { record: () => undefined } as unknown as ImpressionRecorder, true, {
    rules: rules ? { set: rules } : undefined,
    maxCategoryShare: 0.5,
    candidates: { perModel: 200, perCategory: 20, maxBoosted: 100 },
  });
  return { model, recommendations };
}

function history(items: number[]): HistoryEntry[] {
  return items.map((i, k) => ({ itemId: itemIds[i], time: 1000 + k, type: 0 }));
}

const rng = createRng(11);
const shoppers = Array.from({ length: 30 }, (_, s) => Array.from({ length: 1 + (s % 6) }, () => Math.floor(rng() * N)));

describe('serving from the approximate item index', () => {
  it('builds the index only at or above ANN_MIN_ITEMS', async () => {
    expect((await service(1000)).model.itemIndex('mf')?.kind).toBe('ivf');
    expect((await service(N + 1)).model.itemIndex('mf')).toBeNull();
    expect((await service(0)).model.itemIndex('mf')).toBeNull();
  });

  const cases: { name: string; filter?: ItemFilter }[] = [
    { name: 'plain' },
    { name: 'a category filter', filter: { categories: ['cat-3', 'cat-17'] } },
    { name: 'a price band, in stock only', filter: { minPrice: 10, maxPrice: 20, inStockOnly: true } },
  ];

  it.each(cases)('gives nearly the lists exact scoring gives, filters and seen items respected: $name', async ({ filter }) => {
    const approx = await service(1000);
    const exact = await service(N + 1);
    let overlap = 0;
    let sameTop = 0;
    for (const items of shoppers) {
      const activity = { entries: history(items), embedding: null };
      const a = approx.recommendations.listForHistory('u', activity, 10, filter);
      const e = exact.recommendations.listForHistory('u', activity, 10, filter);
      expect(a.items.length).toBe(10);
      const seen = new Set(items.map((i) => itemIds[i]));
      for (const item of a.items) {
        const i = Number(item.id.slice(5));
        expect(seen.has(item.id)).toBe(false);
        if (filter?.categories) expect(filter.categories).toContain(`cat-${categoryOf(i)}`);
        if (filter?.minPrice) expect(1 + (i % 50)).toBeGreaterThanOrEqual(filter.minPrice);
        if (filter?.inStockOnly) expect(i % 23).not.toBe(4);
      }
      const exactIds = new Set(e.items.map((i) => i.id));
      overlap += a.items.filter((i) => exactIds.has(i.id)).length / 10;
      if (a.items[0].id === e.items[0].id) sameTop++;
    }
    expect(overlap / shoppers.length).toBeGreaterThanOrEqual(0.9);
    expect(sameTop / shoppers.length).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps rules: a pin takes its slot and a buried brand stays out of the top', async () => {
    const rules = new RuleSet(
      validateRules([
        { action: 'BURY', brands: ['brand-3'], factor: 0.01 },
        { action: 'PIN', itemIds: [itemIds[4321]], position: 2 },
      ] as never),
      1,
    );
    const { recommendations } = await service(1000, rules);
    for (const items of shoppers.slice(0, 10)) {
      const list = recommendations.listForHistory('u', { entries: history(items), embedding: null }, 10);
      expect(list.items[1].id).toBe(itemIds[4321]);
      expect(list.items.filter((i) => Number(i.id.slice(5)) % 7 === 3)).toEqual([]);
    }
  });

  it('serves an online-updated user vector through the index as exact scoring does', async () => {
    const approx = await service(1000);
    const exact = await service(N + 1);
    const vector = Float32Array.from({ length: DIM }, (_, j) => (j % 3) - 1);
    const activity = { entries: history([1, 2]), embedding: { versionId: 1, vector } };
    const a = approx.recommendations.listForHistory('u', activity as never, 10);
    const e = exact.recommendations.listForHistory('u', activity as never, 10);
    const exactIds = new Set(e.items.map((i) => i.id));
    expect(a.items.filter((i) => exactIds.has(i.id)).length).toBeGreaterThanOrEqual(9);
  });

  it('indexes a version ActiveModel hot-swaps in before serving it, as services wires the hook', async () => {
    const versions = {
      active: async () => ({ id: 3, kind: 'mf', params: {}, dataWindow: null }),
      artifacts: async () => withVocabulary(plantedMfArtifacts(), itemIds),
    } as unknown as ModelVersionStore;
    const log = { info: () => undefined, error: () => undefined, warn: () => undefined } as unknown as Logger;
    const active = new ActiveModel(versions, {} as RedisPubSub, log);
    let servedDuringPrepare: unknown = 'not called';
    active.addSwapHooks({ prepare: async () => void (servedDuringPrepare = active.get()), retire: () => undefined });
    active.addSwapHooks(new ItemIndexHook(1000, log));
    await active.refresh();
    expect(servedDuringPrepare).toBeNull();
    expect(active.get()?.versionId).toBe(3);
    expect(active.get()?.itemIndex('mf')?.kind).toBe('ivf');
    await active.stop();
  });
});
