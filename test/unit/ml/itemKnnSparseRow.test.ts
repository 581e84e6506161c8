// The sparse row serving uses for item-to-item must be the dense scores by another route: every score, the head
// and the min and max over the catalogue agree with scoreUser.
import { historyOf } from '../../../src/ml/interactions';
import { ItemKnnRecommender } from '../../../src/ml/models/itemKnn';
import { createRng } from '../../../src/ml/random';
import { chainEvents, interactionsFrom } from './syntheticData';

describe('ItemKnnRecommender.sparseScores', () => {
  const data = interactionsFrom(chainEvents({ users: 120, seed: 7 }));

  it.each([0.01, 0, 0.3])('equals scoreUser at every item, in its head, and in its range (popularity blend %p)', async (popularityBlend) => {
    const knn = new ItemKnnRecommender({ tune: false, popularityBlend });
    await knn.fit(data, null);
    const dense = new Float32Array(knn.numItems);
    const rng = createRng(3);
    for (let u = 0; u < 30; u++) {
      const history = historyOf(data, Math.floor(rng() * data.userIds.length));
      knn.scoreUser(history, dense);
      const row = knn.sparseScores(history);
      for (let j = 0; j < dense.length; j++) expect(row.scoreAt(j)).toBeCloseTo(dense[j], 6);

      // Odd items are kept out, as a filter would.
      const skip = (j: number) => j % 2 === 1;
      const { indices, min, max } = row.search(10, skip);
      const eligible = Array.from(dense.keys()).filter((j) => !skip(j)).map((j) => dense[j]).sort((a, b) => b - a);
      const head = Array.from(indices, (j) => dense[j]).sort((a, b) => b - a);
      expect(indices.every((j) => !skip(j))).toBe(true);
      head.forEach((s, k) => expect(s).toBeCloseTo(eligible[k], 6));
      expect(min).toBeCloseTo(Math.min(...dense), 6);
      expect(max).toBeCloseTo(Math.max(...dense), 6);
    }
  });

  it('keeps its own scores when a newer row of the same model is made while it is still in use', async () => {
    const knn = new ItemKnnRecommender({ tune: false });
    await knn.fit(data, null);
    const [first, second] = [historyOf(data, 1), historyOf(data, 2)];
    const dense = [new Float32Array(knn.numItems), new Float32Array(knn.numItems)];
    knn.scoreUser(first, dense[0]);
    knn.scoreUser(second, dense[1]);
    const older = knn.sparseScores(first);
    const newer = knn.sparseScores(second);
    for (let j = 0; j < knn.numItems; j++) {
      expect(older.scoreAt(j)).toBeCloseTo(dense[0][j], 6);
      expect(newer.scoreAt(j)).toBeCloseTo(dense[1][j], 6);
    }
  });

  it('answers a head of zero items with the range alone, without visiting the catalogue', async () => {
    const knn = new ItemKnnRecommender({ tune: false });
    await knn.fit(data, null);
    const history = historyOf(data, 0);
    const dense = new Float32Array(knn.numItems);
    knn.scoreUser(history, dense);
    const row = knn.sparseScores(history);
    // Serving asks for the range alone to normalise a few named items (search): asking each item whether it may
    // enter a head of nothing would walk the whole catalogue.
    let asked = 0;
    const { indices, min, max } = row.search(0, () => (asked++, false));
    expect(indices.length).toBe(0);
    expect(asked).toBe(0);
    expect(min).toBeCloseTo(Math.min(...dense), 6);
    expect(max).toBeCloseTo(Math.max(...dense), 6);
  });
});
