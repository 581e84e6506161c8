// Approximate top-K by inner product over item embeddings with an HNSW graph (hnswlib-node, an optional native
// dependency loaded at run time). The bias rides along as one extra dimension: [v, b]·[w, 1] = w·v + b.
import type { TopK } from '../topK';
import type { ItemEmbeddingTable, ItemVectorIndex, RangedTopK } from './itemVectorIndex';

/** The slice of hnswlib-node used here, declared locally so the package stays optional at compile time too. */
interface HnswGraph {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number): void;
  addPoint(point: number[], label: number): void;
  searchKnn(query: number[], k: number, filter?: (label: number) => boolean): { distances: number[]; neighbors: number[] };
  setEf(ef: number): void;
  getCurrentCount(): number;
}

export interface HnswModule {
  HierarchicalNSW: new (space: 'ip' | 'l2' | 'cosine', dim: number) => HnswGraph;
}

export interface HnswParams {
  /** Links per node (2M on the bottom layer): recall and memory rise with it. */
  m: number;
  /** Candidate list while building: a better graph for a slower build. */
  efConstruction: number;
  /** Candidate list while searching (at least k): the recall/latency knob at serving time. */
  efSearch: number;
  seed: number;
}

// Chosen on clustered 100k × 64 embeddings (docs/benchmarks.md): M 16 / efConstruction 100 needed efSearch 1024 for
// recall@10 0.9; M 32 / 200 reaches 0.94 at efSearch 256, for a build about 2.5× as long and 128 more bytes per item.
export const HNSW_DEFAULTS: Readonly<HnswParams> = Object.freeze({ m: 32, efConstruction: 200, efSearch: 256, seed: 42 });

let cached: HnswModule | null | undefined;

/** hnswlib-node when it is installed and its native binding loads; null otherwise (never throws). */
export function loadHnswlib(): HnswModule | null {
  if (cached !== undefined) return cached;
  try {
    // A require of a variable keeps type-checking and bundlers from needing the optional package.
    const name = 'hnswlib-node';
    const req: NodeJS.Require = require;
    const mod = req(name) as Partial<HnswModule>;
    cached = typeof mod.HierarchicalNSW === 'function' ? (mod as HnswModule) : null;
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * hnswlib's memory per element: bottom-layer links (2M ids + a count), the vector, the label, the upper
 * layers (a 1/M share of elements, M links each), a per-element lock and label-map entry (~80 bytes on glibc).
 */
export function hnswBytesPerItem(dim: number, m: number): number {
  return (2 * m + 1) * 4 + (dim + 1) * 4 + 8 + ((m + 1) * 4 * 1) / m + 80;
}

class HnswItemIndex implements ItemVectorIndex {
  readonly kind = 'hnsw' as const;
  readonly fallbackReason = null;
  private readonly q: number[];

  constructor(
    private readonly graph: HnswGraph,
    readonly numItems: number,
    private readonly dim: number,
    private readonly params: HnswParams,
  ) {
    this.q = new Array<number>(dim + 1).fill(0);
    this.q[dim] = 1;
  }

  search(query: Float32Array, k: number, skip?: (i: number) => boolean): TopK {
    return this.signedSearch(query, 1, k, skip);
  }

  /** The top k, plus the best score of all items and the worst (the best of the negated query, [−w, −1]). */
  searchWithRange(query: Float32Array, k: number, skip?: (i: number) => boolean): RangedTopK {
    const top = this.signedSearch(query, 1, k, skip);
    const best = skip || k < 1 ? this.signedSearch(query, 1, 1) : top;
    const worst = this.signedSearch(query, -1, 1);
    const max = best.scores.length ? best.scores[0] : 0;
    return { ...top, max, min: worst.scores.length ? -worst.scores[0] : max };
  }

  private signedSearch(query: Float32Array, sign: 1 | -1, k: number, skip?: (i: number) => boolean): TopK {
    const want = Math.min(k, this.numItems);
    if (want <= 0) return { indices: new Int32Array(0), scores: new Float32Array(0) };
    for (let j = 0; j < this.dim; j++) this.q[j] = sign * query[j];
    this.q[this.dim] = sign;
    this.graph.setEf(Math.max(this.params.efSearch, want));
    const { neighbors, distances } = skip ? this.graph.searchKnn(this.q, want, (label) => !skip(label)) : this.graph.searchKnn(this.q, want);
    // hnswlib returns nearest first; its 'ip' distance is 1 − dot, so the score is 1 − distance.
    const order = neighbors.map((_, j) => j).sort((a, b) => distances[a] - distances[b] || neighbors[a] - neighbors[b]);
    return {
      indices: Int32Array.from(order, (j) => neighbors[j]),
      scores: Float32Array.from(order, (j) => 1 - distances[j]),
    };
  }

  describe(): string {
    return `hnsw (M ${this.params.m}, efConstruction ${this.params.efConstruction}, efSearch ${this.params.efSearch})`;
  }

  memoryBytes(): number {
    return Math.round(this.numItems * hnswBytesPerItem(this.dim, this.params.m));
  }

  withSearchBreadth(ef: number): ItemVectorIndex {
    // The graph is shared: only the breadth of each search differs.
    return new HnswItemIndex(this.graph, this.numItems, this.dim, { ...this.params, efSearch: ef });
  }
}

/** Builds the graph item by item, yielding to the event loop between chunks so a serving process stays responsive. */
export async function buildHnswItemIndex(
  hnswlib: HnswModule,
  table: ItemEmbeddingTable,
  overrides: Partial<HnswParams> = {},
  onProgress?: (fraction: number) => void,
): Promise<ItemVectorIndex> {
  const params: HnswParams = { ...HNSW_DEFAULTS, ...overrides };
  const { embeddings, bias, dim } = table;
  const n = dim === 0 ? 0 : embeddings.length / dim;
  const graph = new hnswlib.HierarchicalNSW('ip', dim + 1);
  graph.initIndex(Math.max(1, n), params.m, params.efConstruction, params.seed);
  const point = new Array<number>(dim + 1);
  const CHUNK = 2000;
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let j = 0; j < dim; j++) point[j] = embeddings[row + j];
    point[dim] = bias === null ? 0 : bias[i];
    graph.addPoint(point, i);
    if ((i + 1) % CHUNK === 0) {
      onProgress?.((i + 1) / n);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  onProgress?.(1);
  return new HnswItemIndex(graph, n, dim, params);
}
