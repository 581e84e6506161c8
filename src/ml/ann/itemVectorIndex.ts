// The one interface for "the k items whose embedding scores highest against a user vector", and the choice
// between exact scoring and an approximate index once a catalogue is too large to scan per request.
import type { TopK } from '../topK';
import { ExactItemIndex } from './exactItemIndex';
import { buildHnswItemIndex, loadHnswlib, type HnswParams, type HnswModule } from './hnswItemIndex';
import { buildIvfItemIndex, type IvfParams } from './ivfItemIndex';

/** Item embeddings as served: row i of `embeddings` (dim floats) and `bias[i]` score item i as w·v + b. */
export interface ItemEmbeddingTable {
  embeddings: Float32Array;
  bias: Float32Array | null;
  dim: number;
}

/** A top k with the lowest and highest score over every item (approximate for an approximate index). */
export interface RangedTopK extends TopK {
  min: number;
  max: number;
}

export interface ItemVectorIndex {
  readonly kind: 'exact' | 'ivf' | 'hnsw';
  readonly numItems: number;
  /** Why another index was built than the one asked for; null otherwise. */
  readonly fallbackReason: string | null;
  /** The `k` best items for `query` (dim floats), best first; `skip(i)` true keeps item i out. */
  search(query: Float32Array, k: number, skip?: (i: number) => boolean): TopK;
  /**
   * `search` plus the lowest and highest score over all items, which serving's min-max normalisation needs
   * (an approximate index finds them as the best items of [w, 1] and of [−w, −1]).
   */
  searchWithRange(query: Float32Array, k: number, skip?: (i: number) => boolean): RangedTopK;
  /** One line for logs and reports: the kind and how it was tuned. */
  describe(): string;
  /** Bytes the index holds beyond the caller's table (estimate for hnsw). */
  memoryBytes(): number;
  /** The same index searched with another breadth (IVF lists probed, HNSW efSearch); exact search returns itself. */
  withSearchBreadth(breadth: number): ItemVectorIndex;
}

/**
 * Exact scoring of 100k items × 64 dims takes ~3 ms with the SIMD kernel, so it stays inside the 5 ms serving
 * budget up to roughly 150k items; above that the approximate index pays for its build time and memory.
 */
export const DEFAULT_ANN_MIN_ITEMS = 150_000;

export interface ItemIndexOptions {
  /** Catalogues with at least this many items get an approximate index; smaller ones exact. */
  annMinItems?: number;
  /** 'ivf' (default): the pure-TypeScript index, on every machine. 'hnsw': hnswlib-node, IVF when it does not load. */
  engine?: 'ivf' | 'hnsw';
  ivf?: Partial<IvfParams>;
  /** Queries like serving's (dim floats each) for the IVF to calibrate its probes on; default: mixes of items. */
  calibrationQueries?: Float32Array;
  hnsw?: Partial<HnswParams>;
  /** Supplies the native module; tests pass `() => null` to exercise the fallback. */
  loadModule?: () => HnswModule | null;
  /** Called with 0..1 while an approximate index is built. */
  onProgress?: (fraction: number) => void;
}

/**
 * Builds the index a catalogue of this size should be served from: exact below `annMinItems`, IVF above it (or
 * HNSW when asked for and hnswlib-node loads; IVF with `fallbackReason` set when it does not).
 */
export async function buildItemVectorIndex(table: ItemEmbeddingTable, opts: ItemIndexOptions = {}): Promise<ItemVectorIndex> {
  const numItems = table.dim === 0 ? 0 : table.embeddings.length / table.dim;
  if (numItems < (opts.annMinItems ?? DEFAULT_ANN_MIN_ITEMS)) return new ExactItemIndex(table);
  if (opts.engine === 'hnsw') {
    const hnswlib = (opts.loadModule ?? loadHnswlib)();
    if (hnswlib !== null) return buildHnswItemIndex(hnswlib, table, opts.hnsw, opts.onProgress);
    const ivf = await buildIvfItemIndex(table, opts.ivf, opts.onProgress, opts.calibrationQueries);
    return withReason(ivf, 'hnswlib-node is not installed (optional dependency): serving the IVF index');
  }
  return buildIvfItemIndex(table, opts.ivf, opts.onProgress, opts.calibrationQueries);
}

function withReason(index: ItemVectorIndex, reason: string): ItemVectorIndex {
  return Object.assign(Object.create(index) as ItemVectorIndex, { fallbackReason: reason });
}
