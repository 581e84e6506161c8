import { hitAtK, ndcgAtK, RankingAccumulator, rankOf, reciprocalRankAtK } from '../../../src/ml/evaluation/rankingMetrics';

describe('ranking metrics', () => {
  it('computes per-list values by hand', () => {
    expect(rankOf([5, 3, 9], 9)).toBe(2);
    expect(rankOf([5, 3, 9], 9, 2)).toBe(-1);
    expect(hitAtK(2, 3)).toBe(1);
    expect(hitAtK(3, 3)).toBe(0);
    expect(ndcgAtK(0, 10)).toBe(1);
    expect(ndcgAtK(2, 10)).toBeCloseTo(0.5); // 1/log2(4)
    expect(ndcgAtK(-1, 10)).toBe(0);
    expect(reciprocalRankAtK(3, 10)).toBeCloseTo(0.25);
    expect(reciprocalRankAtK(10, 10)).toBe(0);
  });

  it('averages over users and measures coverage', () => {
    const acc = new RankingAccumulator(2, 10);
    acc.add([1, 2, 3], 1); // rank 0
    acc.add([2, 4], 4); // rank 1
    acc.add([2, 1], 3); // miss; items beyond k do not count for coverage
    acc.add([5, 6, 7], 7); // rank 2 >= k: miss
    const m = acc.result();
    expect(m.users).toBe(4);
    expect(m.hitRate).toBeCloseTo(2 / 4);
    expect(m.ndcg).toBeCloseTo((1 + 1 / Math.log2(3)) / 4);
    expect(m.mrr).toBeCloseTo((1 + 0.5) / 4);
    expect(m.coverage).toBeCloseTo(5 / 10); // {1,2,4,5,6}
  });
});
