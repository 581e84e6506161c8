import { historyOf } from '../../../src/ml/interactions';
import { evaluateModel, fitOnSplit } from '../../../src/ml/evaluation/evaluateModel';
import { leaveLastOutSplit } from '../../../src/ml/evaluation/leaveLastOutSplit';
import { ItemKnnRecommender, loadItemKnn } from '../../../src/ml/models/itemKnn';
import { buildCoCounts, DEFAULT_ITEMKNN_PARAMS, pruneNeighbours } from '../../../src/ml/models/itemKnnGraph';
import { PopularityRecommender } from '../../../src/ml/models/popularity';
import { chainEvents, interactionsFrom } from './syntheticData';

describe('ItemKnnRecommender', () => {
  const data = interactionsFrom(chainEvents());
  const split = leaveLastOutSplit(data);
  const idx = (id: string) => data.itemIds.indexOf(id);

  it('recovers deterministic chains A -> B -> C far above popularity', async () => {
    const knn = new ItemKnnRecommender();
    await knn.fit(split.testTrain, null);
    const pop = new PopularityRecommender();
    await pop.fit(split.testTrain, null);
    const knnMetrics = await evaluateModel(knn, split, 10);
    const popMetrics = await evaluateModel(pop, split, 10);
    expect(knnMetrics.hitRate).toBeGreaterThan(0.95);
    expect(knnMetrics.ndcg).toBeGreaterThan(0.8);
    expect(knnMetrics.ndcg).toBeGreaterThan(popMetrics.ndcg + 0.5);
  });

  it('counts next-item transitions more than reverse ones', async () => {
    const knn = new ItemKnnRecommender({ backwardWeight: 0.25 });
    await knn.fit(data, null);
    const out = new Float32Array(knn.numItems);
    knn.similarItems(idx('c0_4'), out);
    expect(out[idx('c0_5')]).toBeGreaterThan(out[idx('c0_3')]);
    expect(out[idx('c0_3')]).toBeGreaterThan(0);
    expect(out[idx('c1_5')]).toBe(0);
  });

  it('answers a similarity lookup with exactly the values of the dense similarity row', async () => {
    const knn = new ItemKnnRecommender();
    await knn.fit(data, null);
    const out = new Float32Array(knn.numItems);
    for (let item = 0; item < knn.numItems; item++) {
      knn.similarItems(item, out);
      const lookup = knn.similarityTo(item);
      for (let other = 0; other < knn.numItems; other++) expect(lookup(other)).toBe(out[other]);
    }
  });

  it('weights the last history item most', async () => {
    const knn = new ItemKnnRecommender({ historyDecay: 0.5, popularityBlend: 0 });
    await knn.fit(data, null);
    const out = new Float32Array(knn.numItems);
    const history = { items: Int32Array.of(idx('c2_3'), idx('c4_6')), times: Float64Array.of(1, 2), types: new Uint8Array(2), weights: Float32Array.of(1, 1) };
    knn.scoreUser(history, out);
    expect(out[idx('c4_7')]).toBeGreaterThan(out[idx('c2_4')]);
    expect(out[idx('c2_4')]).toBeGreaterThan(out[idx('c5_4')]);
  });

  it('keeps at most M neighbours per item, the strongest ones', async () => {
    // Symmetric window with a steep gap decay: the two adjacent items are the strongest neighbours.
    const params = { ...DEFAULT_ITEMKNN_PARAMS, neighbours: 2, window: 3, backwardWeight: 1, gapDecay: 0.3 };
    const co = await buildCoCounts(data, params);
    const graph = pruneNeighbours(co, params);
    const a = idx('c3_4');
    expect(graph.offsets[a + 1] - graph.offsets[a]).toBe(2);
    const kept = Array.from(graph.neighbours.subarray(graph.offsets[a], graph.offsets[a + 1]), (i) => data.itemIds[i]).sort();
    expect(kept).toEqual(['c3_3', 'c3_5']);
  });

  it('tunes on validation inside fit and hands its parameters to the refit', async () => {
    const fit = await fitOnSplit((p) => new ItemKnnRecommender({ ...p, tuneEvaluations: 15 }), split, null, { seed: 2 });
    expect(fit.params.tune).toBe(false);
    expect((await evaluateModel(fit.model, split, 10)).ndcg).toBeGreaterThan(0.8);
  });

  it('lets the event loop run between tuning evaluations (a worker applies online updates meanwhile)', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    let evaluations = 0;
    try {
      await fitOnSplit((p) => new ItemKnnRecommender({ ...p, tuneEvaluations: 15 }), split, null, { seed: 2, onProgress: () => evaluations++ });
    } finally {
      clearInterval(ticker);
    }
    // A fully synchronous search would let the interval run only after it returned.
    expect(evaluations).toBeGreaterThan(3);
    expect(turns).toBeGreaterThan(3);
  });

  it('round-trips through save/load with identical scores', async () => {
    const knn = new ItemKnnRecommender();
    await knn.fit(split.testTrain, null);
    const loaded = loadItemKnn(knn.save());
    const a = new Float32Array(knn.numItems);
    const b = new Float32Array(loaded.numItems);
    for (const u of [0, 5, 40]) {
      knn.scoreUser(historyOf(split.testTrain, u), a);
      loaded.scoreUser(historyOf(split.testTrain, u), b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });
});
