import { topK } from '../../src/ml/topK';
import { createRng } from '../../src/ml/random';

describe('topK', () => {
  it('matches a full sort on random scores, skipping -Infinity and filtered items', () => {
    const rng = createRng(7);
    const scores = Float32Array.from({ length: 5000 }, () => (rng() < 0.1 ? -Infinity : rng()));
    const skip = (i: number) => i % 7 === 0;
    const got = topK(scores, 25, skip);
    const expected = Array.from(scores, (s, i) => ({ s, i }))
      .filter(({ s, i }) => s > -Infinity && !skip(i))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .slice(0, 25);
    expect(Array.from(got.indices)).toEqual(expected.map((e) => e.i));
    expect(Array.from(got.scores)).toEqual(expected.map((e) => e.s));
  });

  it('returns fewer than k when fewer items qualify, and breaks ties by index', () => {
    const got = topK(Float32Array.from([1, -Infinity, 1, NaN]), 10);
    expect(Array.from(got.indices)).toEqual([0, 2]);
  });
});
