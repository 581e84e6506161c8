import { ServingModel, normaliseInPlace } from '../../src/domain/models/servingModel';
import type { Recommender } from '../../src/ml/recommender';
import type { UserHistory } from '../../src/ml/interactions';

/** A fixed-score component: score of item i is scores[i]; remembers the history it was asked about. */
function fixed(kind: string, scores: number[]): Recommender & { seen: UserHistory[] } {
  const seen: UserHistory[] = [];
  return {
    kind: kind as Recommender['kind'],
    numItems: scores.length,
    seen,
    fit: async () => undefined,
    scoreUser: (h, out) => {
      seen.push(h);
      out.set(scores);
    },
    save: () => ({}),
    dispose: () => undefined,
  };
}

describe('ServingModel', () => {
  it('min-max normalises scores and treats -Infinity as no evidence', () => {
    const a = Float32Array.from([2, 4, -Infinity, 3]);
    normaliseInPlace(a);
    expect(Array.from(a)).toEqual([0, 1, 0, 0.5]);
  });

  it('fuses components trained on different vocabularies over their union, with shares per source', () => {
    const a = fixed('itemknn', [0, 10, 5]); // items x, y, z
    const b = fixed('pop', [1, 0]); // items z, w
    const model = new ServingModel(3, 'v3', [
      { kind: 'itemknn', model: a, weight: 1, itemIds: ['x', 'y', 'z'] },
      { kind: 'pop', model: b, weight: 0.5, itemIds: ['z', 'w'] },
    ]);
    expect(model.itemIds).toEqual(['x', 'y', 'z', 'w']);
    const history = model.toHistory([
      { itemId: 'w', time: 1, type: 0, weight: 1 },
      { itemId: 'unknown', time: 2, type: 0, weight: 1 },
    ]);
    expect(Array.from(history.items)).toEqual([3]);
    const scores = model.score(history);
    expect(Array.from(scores.fused)).toEqual([0, 1, 0.5 + 0.5, 0]);
    // Component b sees the history in its own indices: w is its item 1; a never saw w.
    expect(Array.from(b.seen[0].items)).toEqual([1]);
    expect(Array.from(a.seen[0].items)).toEqual([]);
    expect(model.shares(scores, 2)).toEqual([
      { source: 'itemknn', weight: 0.5 },
      { source: 'pop', weight: 0.5 },
    ]);
  });
});
