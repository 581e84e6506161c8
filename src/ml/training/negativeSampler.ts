// Draws the shared negatives of a sampled softmax from a mix of the uniform and the (damped) popularity
// distribution, and gives the log-Q corrections that keep the loss an estimate of the full softmax.
// Uniform negatives alone almost never include the popular items that dominate a full ranking.
import type { LogitCorrection } from '../kernels/sampledSoftmax';
import type { Rng } from '../random';

export class NegativeSampler {
  /** Cumulative sampling probabilities, for inverse-CDF draws. */
  private readonly cdf: Float64Array;
  /** log q(i) for every item. */
  private readonly logQ: Float32Array;
  readonly numItems: number;

  /**
   * @param counts how often each item occurs as a training target
   * @param popularityShare weight of the count^power distribution in the mix (the rest is uniform)
   */
  constructor(counts: ArrayLike<number>, popularityShare: number, power = 0.75) {
    const n = counts.length;
    this.numItems = n;
    const damped = Float64Array.from(counts, (c) => Math.pow(Math.max(0, c), power));
    const total = damped.reduce((a, b) => a + b, 0);
    const share = total > 0 ? Math.min(1, Math.max(0, popularityShare)) : 0;
    this.cdf = new Float64Array(n);
    this.logQ = new Float32Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const q = (1 - share) / n + (share > 0 ? (share * damped[i]) / total : 0);
      acc += q;
      this.cdf[i] = acc;
      this.logQ[i] = Math.log(q);
    }
  }

  /**
   * `count` i.i.d. draws, or every item once (the exact softmax, no correction needed) when the
   * catalogue is no larger than `count`.
   */
  sample(count: number, rng: Rng): Int32Array {
    const n = this.numItems;
    if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
    const out = new Int32Array(count);
    const last = this.cdf[n - 1];
    for (let k = 0; k < count; k++) {
      const u = rng() * last;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      out[k] = lo;
    }
    return out;
  }

  /** −log(S·q) for the targets and the drawn negatives; zeros when the sample is the whole catalogue. */
  correction(targets: Int32Array, negatives: Int32Array): LogitCorrection {
    const pos = new Float32Array(targets.length);
    const neg = new Float32Array(negatives.length);
    if (negatives.length >= this.numItems) return { pos, neg };
    const logS = Math.log(negatives.length);
    for (let p = 0; p < targets.length; p++) pos[p] = -(logS + this.logQ[targets[p]]);
    for (let s = 0; s < negatives.length; s++) neg[s] = -(logS + this.logQ[negatives[s]]);
    return { pos, neg };
  }
}
