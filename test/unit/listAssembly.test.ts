import { assembleList } from '../../src/domain/recommendations/listAssembly';
import { createRng } from '../../src/ml/random';

const cats = ['a', 'a', 'a', 'a', 'b', 'b', 'c', 'c'];
// Scores fall with the index: item 0 is best.
const scores = Float32Array.from(cats, (_, i) => 10 - i);
const base = { scores, skip: () => false, categoryOf: (i: number) => cats[i], maxCategoryShare: null, pins: [] };

describe('assembleList', () => {
  it('pages by offset in score order', () => {
    expect(assembleList({ ...base, limit: 3, offset: 0 }).indices).toEqual([0, 1, 2]);
    expect(assembleList({ ...base, limit: 3, offset: 3 }).indices).toEqual([3, 4, 5]);
  });

  it('caps the share of one category in every prefix, and backfills when other categories run out', () => {
    // cats: a a a a b b c c; share 0.5 allows 1 of the first 3 positions per category, 2 of 4, 3 of 6.
    const list = assembleList({ ...base, limit: 8, offset: 0, maxCategoryShare: 0.5 });
    expect(list.indices).toEqual([0, 4, 6, 1, 5, 2, 7, 3]);
    // A shorter list is the head of the longer one.
    expect(assembleList({ ...base, limit: 3, offset: 0, maxCategoryShare: 0.5 }).indices).toEqual([0, 4, 6]);
    expect(assembleList({ ...base, limit: 4, offset: 4, maxCategoryShare: 0.5 }).indices).toEqual([5, 2, 7, 3]);
    const onlyA = assembleList({ ...base, skip: (i) => cats[i] !== 'a', limit: 4, offset: 0, maxCategoryShare: 0.5 });
    expect(onlyA.indices).toEqual([0, 1, 2, 3]);
  });

  it('caps categories exactly as a greedy pass over the ranked pool would, drawing lazily', () => {
    // The reference ranks the whole pool first (the top max(200, 4 x need)), then takes, position by position,
    // the best remaining item whose category fits, or the best remaining one when none fits.
    const reference = (s: Float32Array, categoryOf: (i: number) => string, need: number, share: number): number[] => {
      const pool = Array.from(s.keys())
        .sort((a, b) => s[b] - s[a] || a - b)
        .slice(0, Math.max(200, 4 * need));
      const counts = new Map<string, number>();
      const out: number[] = [];
      while (out.length < need && pool.length) {
        const cap = Math.max(1, Math.floor(share * (out.length + 1)));
        const k = Math.max(0, pool.findIndex((i) => (counts.get(categoryOf(i)) ?? 0) < cap));
        const [i] = pool.splice(k, 1);
        counts.set(categoryOf(i), (counts.get(categoryOf(i)) ?? 0) + 1);
        out.push(i);
      }
      return out;
    };
    const rng = createRng(5);
    for (let trial = 0; trial < 40; trial++) {
      const n = 20 + Math.floor(rng() * 700);
      // Few categories, one of them dominant, and coarse scores (ties): the cap binds and the pool can run dry.
      const categories = Array.from({ length: n }, () => (rng() < 0.6 ? 'big' : `c${Math.floor(rng() * 4)}`));
      const s = Float32Array.from({ length: n }, () => Math.floor(rng() * 50));
      const need = 1 + Math.floor(rng() * 60);
      const share = [0.2, 0.34, 0.5][trial % 3];
      const list = assembleList({ scores: s, skip: () => false, limit: need, offset: 0, categoryOf: (i) => categories[i], maxCategoryShare: share, pins: [] });
      expect(list.indices).toEqual(reference(s, (i) => categories[i], need, share));
    }
  });

  it('puts pins at their slots, once, and only when the item may be shown', () => {
    const list = assembleList({ ...base, limit: 4, offset: 0, pins: [{ index: 7, slot: 1 }, { index: 6, slot: 2 }] });
    expect(list.indices).toEqual([0, 7, 6, 1]);
    expect([...list.pinned].sort()).toEqual([6, 7]);
    const skipped = assembleList({ ...base, skip: (i) => i === 7, limit: 3, offset: 0, pins: [{ index: 7, slot: 0 }] });
    expect(skipped.indices).toEqual([0, 1, 2]);
    const later = assembleList({ ...base, limit: 2, offset: 2, pins: [{ index: 7, slot: 0 }] });
    expect(later.indices).toEqual([1, 2]);
  });

  it('shows a pinned item without a score of its own as 0', () => {
    const s = Float32Array.from([3, -Infinity, 1]);
    const list = assembleList({ ...base, scores: s, limit: 2, offset: 0, pins: [{ index: 1, slot: 0 }] });
    expect(list.indices).toEqual([1, 0]);
    expect(list.scores).toEqual([0, 3]);
  });
});
