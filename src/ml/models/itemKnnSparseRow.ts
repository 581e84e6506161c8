// One user's item-to-item scores as a sparse row: neighbour evidence on the items near their history, the
// popularity prior everywhere else. Serving reads a head and a few hundred scores from it, so a list costs
// O(evidence) instead of three passes over the catalogue; the values equal ItemKnnRecommender.scoreUser's.
import type { ScoreRow } from '../recommender';
import { ScoreHeap } from '../scoreHeap';

/**
 * Dense evidence by item, shared by the rows of one model and stamped with the row that wrote it, so a row
 * answers "evidence of item j" with two array reads and no per-row allocation of catalogue size.
 */
export class EvidenceTable {
  readonly value: Float32Array;
  readonly stamp: Int32Array;
  /** The stamp of the newest row; a row whose stamp is older reads its own copy instead. */
  current = 0;

  constructor(numItems: number) {
    this.value = new Float32Array(numItems);
    this.stamp = new Int32Array(numItems);
  }
}

export class ItemKnnSparseRow implements ScoreRow {
  private readonly stamp: number;
  /** This row's evidence by item, made only if a newer row took over the shared table while this one was in use. */
  private own: Map<number, number> | null = null;

  constructor(
    private readonly table: EvidenceTable,
    /** Items with evidence, and their evidence (already scaled to [0, 1]), in the same order. */
    private readonly items: Int32Array,
    private readonly values: Float32Array,
    /** Weight of the popularity prior. */
    private readonly blend: number,
    /** Popularity over its max, per item. */
    private readonly popularity: Float32Array,
    /** Every item, most popular first. */
    private readonly byPopularity: Int32Array,
  ) {
    this.stamp = ++table.current;
    for (let k = 0; k < items.length; k++) {
      table.value[items[k]] = values[k];
      table.stamp[items[k]] = this.stamp;
    }
  }

  get numItems(): number {
    return this.popularity.length;
  }

  scoreAt(j: number): number {
    return this.evidenceOf(j) + this.blend * this.popularity[j];
  }

  search(n: number, skip: (j: number) => boolean): { indices: Int32Array; min: number; max: number } {
    const { items, values, blend, popularity, byPopularity } = this;
    const heap = new ScoreHeap(n);
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < items.length; k++) {
      const j = items[k];
      const s = values[k] + blend * popularity[j];
      if (s < min) min = s;
      if (s > max) max = s;
      // Evidence comes in neighbour order, not index order: an equal score may still enter with a lower index.
      if (s >= heap.threshold && !skip(j)) heap.offer(j, s);
    }
    // Items without evidence rank by popularity alone: walk them best first until none can enter the head.
    let first = true;
    for (let k = 0; k < byPopularity.length; k++) {
      const j = byPopularity[k];
      if (this.hasEvidence(j)) continue;
      const s = blend * popularity[j];
      if (first) {
        if (s > max) max = s;
        first = false;
      }
      if (heap.full && s < heap.threshold) break;
      if (!skip(j)) heap.offer(j, s);
    }
    for (let k = byPopularity.length - 1; k >= 0; k--) {
      const j = byPopularity[k];
      if (this.hasEvidence(j)) continue;
      if (blend * popularity[j] < min) min = blend * popularity[j];
      break;
    }
    return { indices: heap.unorderedIndices(), min, max };
  }

  private evidenceOf(j: number): number {
    if (this.table.current === this.stamp) return this.table.stamp[j] === this.stamp ? this.table.value[j] : 0;
    return this.ownCopy().get(j) ?? 0;
  }

  private hasEvidence(j: number): boolean {
    if (this.table.current === this.stamp) return this.table.stamp[j] === this.stamp;
    return this.ownCopy().has(j);
  }

  private ownCopy(): Map<number, number> {
    if (!this.own) {
      this.own = new Map();
      for (let k = 0; k < this.items.length; k++) this.own.set(this.items[k], this.values[k]);
    }
    return this.own;
  }
}

/** Item indices by popularity, highest first (ties: lower index first). */
export function orderByPopularity(popularity: Float32Array): Int32Array {
  const order = Int32Array.from(popularity.keys());
  return order.sort((a, b) => popularity[b] - popularity[a] || a - b);
}
