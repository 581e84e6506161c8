import { rankedStream } from '../../src/ml/rankedStream';
import { topK } from '../../src/ml/topK';
import { createRng } from '../../src/ml/random';

function drain(next: () => number): number[] {
  const out: number[] = [];
  for (let i = next(); i >= 0; i = next()) out.push(i);
  return out;
}

describe('rankedStream', () => {
  it("yields topK's entries in topK's order, built as a heap or as a top-K scan", () => {
    const rng = createRng(11);
    for (const [n, limit] of [
      [600, 200], // heap of every eligible entry
      [5000, 40], // top-K scan
      [50, 200], // fewer eligible entries than the limit
    ]) {
      // Coarse scores so that ties (broken by the lower index) are common; some -Infinity and NaN.
      const scores = Float32Array.from({ length: n }, () => (rng() < 0.05 ? -Infinity : rng() < 0.02 ? NaN : Math.floor(rng() * 20)));
      const skip = (i: number) => i % 9 === 4;
      expect(drain(rankedStream(scores, limit, skip))).toEqual(Array.from(topK(scores, limit, skip).indices));
    }
  });

  it('stops after the limit, and keeps returning -1', () => {
    const next = rankedStream(Float32Array.from([3, 1, 2, 5]), 2);
    expect([next(), next(), next(), next()]).toEqual([3, 0, -1, -1]);
  });
});
