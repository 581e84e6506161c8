import { assembleList } from '../../src/domain/recommendations/listAssembly';

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
