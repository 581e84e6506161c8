// Approximate top-K by inner product plus bias in plain TypeScript (an inverted-file index, IVF-flat), so the
// approximate index exists on every machine: k-means over the MIPS-augmented items (mipsAugmentation.ts) splits
// the catalogue into 2√n lists; a query scores, exactly, only the items of the lists whose centroids score highest.
import { ItemDotScorer } from '../kernels/itemDotScorer';
import { createRng, randInt } from '../random';
import { topK, type TopK } from '../topK';
import { augmentationRadius2, augmentedDim, augmentItem, augmentQuery } from './mipsAugmentation';
import { kMeans, NearestCentroid } from './kMeans';
import { ScoreHeap } from '../scoreHeap';
import type { ItemEmbeddingTable, ItemVectorIndex, RangedTopK } from './itemVectorIndex';

export interface IvfParams {
  /** Number of lists; null: round(2√items). */
  lists: number | null;
  /**
   * Lists scanned per query: the recall/latency knob at serving time. null: calibrated at build, the fewest
   * (doubling from 4, then bisecting) whose recall@10 against exact search reaches `targetRecall` on the calibration queries.
   */
  probes: number | null;
  targetRecall: number;
  /** k-means trains on this many sampled items per list (not all of them: build time). */
  samplePerList: number;
  iterations: number;
  seed: number;
}

// 2√n lists and calibrated probes: docs/scaling.md and docs/benchmarks.md (`npm run bench -- --only topk,ann`).
export const IVF_DEFAULTS: Readonly<IvfParams> = Object.freeze({ lists: null, probes: null, targetRecall: 0.9, samplePerList: 32, iterations: 8, seed: 42 });

/** How a built index was tuned, for logs and the benchmark. */
export interface IvfCalibration {
  lists: number;
  probes: number;
  /** recall@10 on the calibration queries at `probes`. */
  recallAt10: number;
}

/** What a built index holds; shared by the views `withSearchBreadth` returns. */
interface IvfLists {
  dim: number;
  numItems: number;
  /** Centroids in augmented space, as k-means left them. */
  centroids: Float32Array;
  /** Scores a query against every centroid by inner product: which lists to scan. */
  probe: ItemDotScorer;
  /** The probe scores of one query. */
  closeness: Float32Array;
  /** Items of list l sit at positions starts[l] .. starts[l + 1] of `rows`. */
  starts: Int32Array;
  /** Position in `rows` -> item index. */
  itemAt: Int32Array;
  /** The item table in list order (its own padded wasm copy), scored exactly. */
  rows: ItemDotScorer;
  /** Scores of one list, reused by every scan (serving is single-threaded per process). */
  buffer: Float32Array;
  query: Float32Array;
}

class IvfItemIndex implements ItemVectorIndex {
  readonly kind = 'ivf' as const;
  readonly fallbackReason = null;

  constructor(
    private readonly lists: IvfLists,
    readonly probes: number,
    readonly calibration: IvfCalibration | null = null,
  ) {}

  get numItems(): number {
    return this.lists.numItems;
  }

  search(query: Float32Array, k: number, skip?: (i: number) => boolean): TopK {
    return this.find(query, k, skip, false);
  }

  /**
   * The best `k` items of the lists nearest to [w, 1, 0] (more lists when skipped items leave fewer than k), and
   * the highest and lowest score seen, the lowest over the lists nearest to [−w, −1, 0].
   */
  searchWithRange(query: Float32Array, k: number, skip?: (i: number) => boolean): RangedTopK {
    return this.find(query, k, skip, true);
  }

  private find(query: Float32Array, k: number, skip: ((i: number) => boolean) | undefined, withLowest: boolean): RangedTopK {
    const L = this.lists.starts.length - 1;
    const want = Math.max(0, Math.min(k, this.numItems));
    const heap = new ScoreHeap(want);
    const range = { min: Infinity, max: -Infinity };
    const probes = Math.min(this.probes, L);
    augmentQuery(query, this.lists.dim, 1, this.lists.query);
    const closeness = this.closeness(this.lists.query);
    const nearest = topK(closeness, probes).indices;
    for (const l of nearest) this.scan(l, query, heap, range, skip);
    if (heap.length < want && probes < L) {
      // Filters removed too many of the nearest lists' items: keep going outwards until k are found.
      const all = topK(closeness, L).indices;
      for (let p = probes; p < L && heap.length < want; p++) this.scan(all[p], query, heap, range, skip);
    }
    if (withLowest) {
      augmentQuery(query, this.lists.dim, -1, this.lists.query);
      const lowest = topK(this.closeness(this.lists.query), probes).indices;
      for (const l of lowest) this.scan(l, query, null, range, undefined);
    }
    const top = heap.result();
    return { ...top, min: range.min <= range.max ? range.min : 0, max: range.min <= range.max ? range.max : 0 };
  }

  /**
   * Lists are ranked by the inner product of the augmented query with their centroid (the centroid's score), not
   * by distance: on the bench's clustered data distance kept choosing the largest lists, scanning several times as
   * many items for a lower recall.
   */
  private closeness(q: Float32Array): Float32Array {
    this.lists.probe.score(q, this.lists.closeness);
    return this.lists.closeness;
  }

  private scan(l: number, query: Float32Array, heap: ScoreHeap | null, range: { min: number; max: number }, skip?: (i: number) => boolean): void {
    const { starts, itemAt, rows, buffer } = this.lists;
    const from = starts[l];
    const to = starts[l + 1];
    if (to === from) return;
    rows.scoreRows(query, from, to, buffer);
    const take = heap !== null && heap.capacity > 0;
    for (let t = 0; t < to - from; t++) {
      const s = buffer[t];
      if (!(s > -Infinity && s < Infinity)) continue;
      if (s > range.max) range.max = s;
      if (s < range.min) range.min = s;
      if (!take || s <= heap.threshold) continue;
      const item = itemAt[from + t];
      if (skip !== undefined && skip(item)) continue;
      heap.offer(item, s);
    }
  }

  describe(): string {
    const lists = this.lists.starts.length - 1;
    const c = this.calibration;
    return `ivf (${lists} lists, ${this.probes} probed${c && c.probes === this.probes ? `, recall@10 ${c.recallAt10.toFixed(3)} on calibration queries` : ''})`;
  }

  memoryBytes(): number {
    const { rows, centroids, numItems } = this.lists;
    const d8 = Math.ceil(rows.dim / 8) * 8;
    // The padded rows, their bias and output slots, the position map, and the centroid scorer's copy.
    return numItems * (d8 + 3) * 4 + centroids.length * 12;
  }

  withSearchBreadth(probes: number): ItemVectorIndex {
    return new IvfItemIndex(this.lists, Math.max(1, Math.round(probes)), this.calibration);
  }
}

/** Lets the event loop run between chunks of a build, so a serving process keeps answering. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Builds the lists: k-means on a sample of the augmented items, then every item to its nearest centroid. */
export async function buildIvfItemIndex(
  table: ItemEmbeddingTable,
  overrides: Partial<IvfParams> = {},
  onProgress?: (fraction: number) => void,
  /** Queries (dim floats each) like the ones serving will ask; default: mixes of a few items, as user vectors are. */
  calibrationQueries?: Float32Array,
): Promise<ItemVectorIndex> {
  const params: IvfParams = { ...IVF_DEFAULTS, ...overrides };
  const { embeddings, bias, dim } = table;
  const n = dim === 0 ? 0 : embeddings.length / dim;
  const L = Math.max(1, Math.min(n, params.lists ?? Math.round(2 * Math.sqrt(n))));
  const ad = augmentedDim(dim);
  const radius2 = augmentationRadius2(embeddings, bias, dim);
  const read = (i: number, into: Float32Array) => augmentItem(embeddings, bias, dim, radius2, i, into);

  // A seeded sample without repeats (partial Fisher–Yates).
  const rng = createRng(params.seed);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  const m = Math.min(n, L * params.samplePerList);
  for (let i = 0; i < m; i++) {
    const j = i + randInt(rng, n - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const centroids = n === 0 ? new Float32Array(ad) : await kMeans(read, pool.subarray(0, m), ad, { k: L, iterations: params.iterations, seed: params.seed, pause });
  onProgress?.(0.6);

  const nearest = new NearestCentroid(centroids, ad);
  const listOf = new Int32Array(n);
  const starts = new Int32Array(nearest.k + 1);
  const x = new Float32Array(ad);
  for (let i = 0; i < n; i++) {
    read(i, x);
    listOf[i] = nearest.nearest(x);
    starts[listOf[i] + 1]++;
    if ((i + 1) % 250 === 0) await pause();
  }
  for (let l = 0; l < nearest.k; l++) starts[l + 1] += starts[l];
  const fill = starts.slice(0, nearest.k);
  const itemAt = new Int32Array(n);
  for (let i = 0; i < n; i++) itemAt[fill[listOf[i]]++] = i;
  onProgress?.(0.9);
  await pause();

  const ordered = new Float32Array(n * dim);
  const orderedBias = bias === null ? null : new Float32Array(n);
  let maxList = 0;
  for (let p = 0; p < n; p++) {
    const i = itemAt[p];
    ordered.set(embeddings.subarray(i * dim, (i + 1) * dim), p * dim);
    if (orderedBias && bias) orderedBias[p] = bias[i];
    if ((p + 1) % 20_000 === 0) await pause();
  }
  for (let l = 0; l < nearest.k; l++) maxList = Math.max(maxList, starts[l + 1] - starts[l]);
  const lists: IvfLists = {
    dim,
    numItems: n,
    centroids,
    probe: new ItemDotScorer(centroids, null, ad),
    closeness: new Float32Array(nearest.k),
    starts,
    itemAt,
    rows: new ItemDotScorer(ordered, orderedBias, dim),
    buffer: new Float32Array(maxList),
    query: new Float32Array(ad),
  };
  await pause();
  const index = params.probes !== null ? new IvfItemIndex(lists, params.probes) : await calibrate(lists, calibrationQueries ?? itemMixes(table, 64, params.seed), params.targetRecall, nearest.k);
  onProgress?.(1);
  return index;
}

/**
 * The fewest probes reaching `target` recall@10 on `queries`: doubling from 4, then bisecting the last step to within
 * an eighth. The truth is the index scanning every list (exact, and no second copy of the table).
 */
async function calibrate(built: IvfLists, queries: Float32Array, target: number, lists: number): Promise<IvfItemIndex> {
  const dim = built.dim;
  const count = queries.length / dim;
  const query = (q: number) => queries.subarray(q * dim, (q + 1) * dim);
  const everyList = new IvfItemIndex(built, lists);
  const truth: Int32Array[] = [];
  for (let q = 0; q < count; q++) {
    // A full scan per query: let requests through after each.
    await pause();
    truth.push(everyList.search(query(q), 10).indices);
  }
  const recallAt = async (probes: number) => {
    const index = new IvfItemIndex(built, probes);
    let sum = 0;
    for (let q = 0; q < count; q++) {
      const got = new Set(index.search(query(q), 10).indices);
      let hits = 0;
      for (const i of truth[q]) if (got.has(i)) hits++;
      sum += truth[q].length ? hits / truth[q].length : 1;
      if (q % 8 === 7) await pause();
    }
    return count ? sum / count : 1;
  };
  let failed = 0;
  let probes = Math.min(4, lists);
  let recall = await recallAt(probes);
  while (recall < target && probes < lists) {
    failed = probes;
    probes = Math.min(lists, probes * 2);
    recall = await recallAt(probes);
  }
  while (recall >= target && probes - failed > Math.max(1, probes >> 3)) {
    const mid = (failed + probes) >> 1;
    const r = await recallAt(mid);
    if (r >= target) [probes, recall] = [mid, r];
    else failed = mid;
  }
  return new IvfItemIndex(built, probes, { lists, probes, recallAt10: recall });
}

/** Pseudo user vectors: the mean of five random items' embeddings each (a user vector sums what they touched). */
export function itemMixes(table: ItemEmbeddingTable, count: number, seed: number): Float32Array {
  const { embeddings, dim } = table;
  const n = dim === 0 ? 0 : embeddings.length / dim;
  const rng = createRng(seed + 1);
  const out = new Float32Array(count * dim);
  if (n === 0) return out;
  for (let q = 0; q < count; q++) {
    for (let h = 0; h < 5; h++) {
      const i = randInt(rng, n);
      for (let j = 0; j < dim; j++) out[q * dim + j] += embeddings[i * dim + j] / 5;
    }
  }
  return out;
}
