// Lloyd's k-means (Euclidean) for the approximate index's coarse lists. Each point is assigned with the SIMD
// dot kernel over the centroids: argmin_c |x − c|² = argmax_c (x·c − |c|²/2), i.e. ItemDotScorer with bias −|c|²/2.
import { ItemDotScorer } from '../kernels/itemDotScorer';
import { createRng, randInt } from '../random';

/** Fills `into` with point i (dim floats); points are produced on demand so no augmented copy of the table is held. */
export type PointReader = (i: number, into: Float32Array) => void;

export interface KMeansOptions {
  k: number;
  iterations: number;
  seed: number;
  /** Called between chunks of work so a serving process keeps answering while an index is built. */
  pause?: () => Promise<void>;
}

// Points assigned between two pauses: a few ms of work at a few hundred centroids.
const CHUNK = 250;

/** Scores a point against every centroid and returns the nearest; reuse one per centroid set. */
export class NearestCentroid {
  private readonly scorer: ItemDotScorer;
  private readonly scores: Float32Array;

  constructor(
    readonly centroids: Float32Array,
    readonly dim: number,
  ) {
    const k = centroids.length / dim;
    const bias = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += centroids[c * dim + j] ** 2;
      bias[c] = -s / 2;
    }
    this.scorer = new ItemDotScorer(centroids, bias, dim);
    this.scores = new Float32Array(k);
  }

  get k(): number {
    return this.scores.length;
  }

  /** x·c − |c|²/2 for every centroid c (larger is nearer), into a buffer reused by the next call. */
  closeness(x: Float32Array): Float32Array {
    this.scorer.score(x, this.scores);
    return this.scores;
  }

  nearest(x: Float32Array): number {
    const s = this.closeness(x);
    let best = 0;
    for (let c = 1; c < s.length; c++) if (s[c] > s[best]) best = c;
    return best;
  }
}

/**
 * Centroids (k × dim) of the points `sample` names, starting from k distinct sampled points; an emptied cluster
 * restarts at a random sampled point. Deterministic for a seed.
 */
export async function kMeans(read: PointReader, sample: Int32Array, dim: number, opts: KMeansOptions): Promise<Float32Array> {
  const rng = createRng(opts.seed);
  const k = Math.max(1, Math.min(opts.k, sample.length));
  const x = new Float32Array(dim);
  const centroids = new Float32Array(k * dim);
  const order = Int32Array.from(sample);
  for (let i = order.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let c = 0; c < k; c++) {
    read(order[c], x);
    centroids.set(x, c * dim);
  }
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let it = 0; it < opts.iterations; it++) {
    const nearest = new NearestCentroid(centroids, dim);
    sums.fill(0);
    counts.fill(0);
    for (let s = 0; s < sample.length; s++) {
      read(sample[s], x);
      const c = nearest.nearest(x);
      counts[c]++;
      for (let j = 0, r = c * dim; j < dim; j++) sums[r + j] += x[j];
      if (opts.pause && (s + 1) % CHUNK === 0) await opts.pause();
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        read(sample[randInt(rng, sample.length)], x);
        centroids.set(x, c * dim);
        continue;
      }
      for (let j = 0, r = c * dim; j < dim; j++) centroids[r + j] = sums[r + j] / counts[c];
    }
  }
  return centroids;
}
