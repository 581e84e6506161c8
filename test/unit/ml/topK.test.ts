import { createRng } from '../../../src/ml/random';
import { topK } from '../../../src/ml/topK';
import { ScoreHeap } from '../../../src/ml/scoreHeap';

describe('topK', () => {
  it('matches a full sort; -Infinity, NaN and skipped entries are never returned', () => {
    const rng = createRng(9);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rng() * 300);
      const k = 1 + Math.floor(rng() * 20);
      // Few distinct values, so ties are common.
      const scores = Float32Array.from({ length: n }, () => {
        const r = rng();
        return r < 0.05 ? -Infinity : r < 0.08 ? NaN : Math.floor(rng() * 10);
      });
      const skip = (i: number) => i % 7 === 3;
      const expected = Array.from({ length: n }, (_, i) => i)
        .filter((i) => scores[i] > -Infinity && !skip(i))
        .sort((a, b) => scores[b] - scores[a] || a - b)
        .slice(0, k);
      const got = topK(scores, k, skip);
      // Same scores as the sort; which of several items tied at the cut is kept is not specified.
      expect(Array.from(got.scores)).toEqual(expected.map((i) => scores[i]));
      const indices = Array.from(got.indices);
      expect(new Set(indices).size).toBe(indices.length);
      for (let r = 0; r < indices.length; r++) {
        expect(skip(indices[r])).toBe(false);
        expect(got.scores[r]).toBe(scores[indices[r]]);
        // Best first; equal scores in ascending index order.
        if (r > 0) expect(got.scores[r] < got.scores[r - 1] || indices[r] > indices[r - 1]).toBe(true);
      }
      const cut = expected.length > 0 ? scores[expected[expected.length - 1]] : -Infinity;
      for (const i of expected) if (scores[i] > cut) expect(indices).toContain(i);
    }
  });

  it('keeps the same items whatever the order of offers: higher score first, then lower index', () => {
    const rng = createRng(21);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rng() * 200);
      const k = 1 + Math.floor(rng() * 30);
      const scores = Float32Array.from({ length: n }, () => Math.floor(rng() * 6));
      const expected = Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => scores[b] - scores[a] || a - b)
        .slice(0, k);
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const heap = new ScoreHeap(k);
      for (const i of order) heap.offer(i, scores[i]);
      const got = heap.result();
      expect(Array.from(got.indices)).toEqual(expected);
      expect(Array.from(got.scores)).toEqual(expected.map((i) => scores[i]));
      expect(heap.length).toBe(0);
    }
  });
});
