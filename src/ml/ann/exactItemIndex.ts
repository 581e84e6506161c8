// Exact top-K over every item: the SIMD dot-product kernel fills a score per item, the heap keeps the best k.
// The reference the approximate index is measured against, and the fallback when it is unavailable.
import { ItemDotScorer } from '../kernels/itemDotScorer';
import { topK, type TopK } from '../topK';
import type { ItemEmbeddingTable, ItemVectorIndex, RangedTopK } from './itemVectorIndex';

export class ExactItemIndex implements ItemVectorIndex {
  readonly kind = 'exact' as const;
  readonly numItems: number;
  private readonly scorer: ItemDotScorer;
  // One buffer reused by every search: serving is single-threaded per process.
  private readonly scores: Float32Array;

  constructor(
    table: ItemEmbeddingTable,
    readonly fallbackReason: string | null = null,
  ) {
    this.scorer = new ItemDotScorer(table.embeddings, table.bias, table.dim);
    this.numItems = this.scorer.numItems;
    this.scores = new Float32Array(this.numItems);
  }

  /** True when the wasm SIMD kernel scores (false: the plain JS loop). */
  get simd(): boolean {
    return this.scorer.simd;
  }

  search(query: Float32Array, k: number, skip?: (i: number) => boolean): TopK {
    this.scorer.score(query, this.scores);
    return topK(this.scores, k, skip);
  }

  searchWithRange(query: Float32Array, k: number, skip?: (i: number) => boolean): RangedTopK {
    const top = this.search(query, k, skip);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < this.numItems; i++) {
      const s = this.scores[i];
      if (s > -Infinity && s < Infinity) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
    }
    return { ...top, min: min <= max ? min : 0, max: min <= max ? max : 0 };
  }

  describe(): string {
    return `exact (${this.simd ? 'wasm SIMD' : 'JS'} scan of ${this.numItems} items)`;
  }

  withSearchBreadth(): ItemVectorIndex {
    return this;
  }

  memoryBytes(): number {
    // The scorer's padded copy of the table and bias, its output row, and the score buffer here.
    const d8 = Math.ceil(this.scorer.dim / 8) * 8;
    return this.numItems * (d8 + 3) * 4;
  }
}
