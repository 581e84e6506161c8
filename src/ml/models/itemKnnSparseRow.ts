// One user's item-to-item scores as a sparse row: neighbour evidence on the few items near their history, the
// popularity prior everywhere else. Serving reads a head and a few hundred scores from it, so a list costs
// O(evidence) instead of three passes over a 100k-item catalogue; the values equal ItemKnnRecommender.scoreUser's.
import type { ScoreRow } from '../recommender';
import { ScoreHeap } from '../scoreHeap';

export class ItemKnnSparseRow implements ScoreRow {
  constructor(
    /** Item -> its neighbour evidence, already scaled to [0, 1]. */
    private readonly evidence: Map<number, number>,
    /** Weight of the popularity prior. */
    private readonly blend: number,
    /** Popularity over its max, per item. */
    private readonly popularity: Float32Array,
    /** Every item, most popular first. */
    private readonly byPopularity: Int32Array,
  ) {}

  get numItems(): number {
    return this.popularity.length;
  }

  scoreAt(j: number): number {
    return (this.evidence.get(j) ?? 0) + this.blend * this.popularity[j];
  }

  search(n: number, skip: (j: number) => boolean): { indices: Int32Array; min: number; max: number } {
    const { evidence, blend, popularity, byPopularity } = this;
    const heap = new ScoreHeap(n);
    let min = Infinity;
    let max = -Infinity;
    for (const [j, e] of evidence) {
      const s = e + blend * popularity[j];
      if (s < min) min = s;
      if (s > max) max = s;
      if (s > heap.threshold && !skip(j)) heap.offer(j, s);
    }
    // Items without evidence rank by popularity alone: walk them best first until none can enter the head.
    let first = true;
    for (let k = 0; k < byPopularity.length; k++) {
      const j = byPopularity[k];
      if (evidence.has(j)) continue;
      const s = blend * popularity[j];
      if (first) {
        if (s > max) max = s;
        first = false;
      }
      if (heap.full && s <= heap.threshold) break;
      if (!skip(j)) heap.offer(j, s);
    }
    for (let k = byPopularity.length - 1; k >= 0; k--) {
      const j = byPopularity[k];
      if (evidence.has(j)) continue;
      if (blend * popularity[j] < min) min = blend * popularity[j];
      break;
    }
    return { indices: heap.unorderedIndices(), min, max };
  }
}

/** Item indices by popularity, highest first (ties: lower index first). */
export function orderByPopularity(popularity: Float32Array): Int32Array {
  const order = Int32Array.from(popularity.keys());
  return order.sort((a, b) => popularity[b] - popularity[a] || a - b);
}
