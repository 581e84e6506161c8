// The one interface for "the k items whose embedding scores highest against a user vector", and the
// choice between exact scoring and an approximate (HNSW) index once a catalogue is too large to scan per request.
import type { TopK } from '../topK';
import { ExactItemIndex } from './exactItemIndex';
import { buildHnswItemIndex, loadHnswlib, type HnswParams, type HnswModule } from './hnswItemIndex';

/** Item embeddings as served: row i of `embeddings` (dim floats) and `bias[i]` score item i as w·v + b. */
export interface ItemEmbeddingTable {
  embeddings: Float32Array;
  bias: Float32Array | null;
  dim: number;
}

export interface ItemVectorIndex {
  readonly kind: 'exact' | 'hnsw';
  readonly numItems: number;
  /** Why an exact index was built although an approximate one was asked for; null otherwise. */
  readonly fallbackReason: string | null;
  /** The `k` best items for `query` (dim floats), best first; `skip(i)` true keeps item i out. */
  search(query: Float32Array, k: number, skip?: (i: number) => boolean): TopK;
  /** Bytes the index holds beyond the caller's table (estimate for hnsw, exact for the scorer copy). */
  memoryBytes(): number;
  /** The same index searched with another candidate-list size (HNSW efSearch); exact search returns itself. */
  withSearchBreadth(ef: number): ItemVectorIndex;
}

/**
 * Exact scoring of 100k items × 64 dims takes ~3 ms with the SIMD kernel, so it stays inside the 5 ms serving
 * budget up to roughly 150k items; above that the approximate index pays for its build time and memory.
 */
export const DEFAULT_ANN_MIN_ITEMS = 150_000;

export interface ItemIndexOptions {
  /** Catalogues with at least this many items get an HNSW index (when hnswlib-node loads); smaller ones exact. */
  annMinItems?: number;
  hnsw?: Partial<HnswParams>;
  /** Supplies the native module; tests pass `() => null` to exercise the fallback. */
  loadModule?: () => HnswModule | null;
  /** Called with 0..1 while an HNSW index is built (100k items take tens of seconds on one core). */
  onProgress?: (fraction: number) => void;
}

/**
 * Builds the index a catalogue of this size should be served from: exact below `annMinItems`, HNSW above
 * it, and exact (with `fallbackReason` set) when hnswlib-node is not installed or fails to load.
 */
export async function buildItemVectorIndex(table: ItemEmbeddingTable, opts: ItemIndexOptions = {}): Promise<ItemVectorIndex> {
  const numItems = table.dim === 0 ? 0 : table.embeddings.length / table.dim;
  if (numItems < (opts.annMinItems ?? DEFAULT_ANN_MIN_ITEMS)) return new ExactItemIndex(table);
  const hnswlib = (opts.loadModule ?? loadHnswlib)();
  if (hnswlib === null) {
    return new ExactItemIndex(table, 'hnswlib-node is not installed (optional dependency): serving exact top-K over every item');
  }
  return buildHnswItemIndex(hnswlib, table, opts.hnsw, opts.onProgress);
}

/**
 * Mean share of the exact top-k that the approximate index also returns (recall@k), over `queries`
 * (each dim floats, concatenated).
 */
export function recallAtK(approx: ItemVectorIndex, exact: ItemVectorIndex, queries: Float32Array, dim: number, k: number): number {
  const n = queries.length / dim;
  if (n === 0) return NaN;
  let sum = 0;
  for (let q = 0; q < n; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const truth = exact.search(query, k).indices;
    const got = new Set(approx.search(query, k).indices);
    let hits = 0;
    for (const i of truth) if (got.has(i)) hits++;
    sum += truth.length ? hits / truth.length : 1;
  }
  return sum / n;
}
