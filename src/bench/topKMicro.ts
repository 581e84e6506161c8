// Serving's inner loop alone: one user vector against N items × 64-dim embeddings, scored with the SIMD
// dot-product kernel MF serves with (and its JS fallback), then the top 10 by heap; and the same question
// answered by the approximate index (src/ml/ann, IVF), with its recall@10, speedup, build time and memory.
import { ItemDotScorer, dotAllJs } from '../ml/kernels/itemDotScorer';
import { topK } from '../ml/topK';
import { createRng, randInt, randNormal, type Rng } from '../ml/random';
import { buildItemVectorIndex, type ItemEmbeddingTable, type ItemVectorIndex } from '../ml/ann/itemVectorIndex';
import { recallAtK } from '../ml/ann/recallAtK';
import { ExactItemIndex } from '../ml/ann/exactItemIndex';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { median, percentile, progress } from './stats';
import { ServingModel } from '../domain/models/servingModel';
import { embeddingSource } from '../ml/ann/embeddingSource';
import { loadMatrixFactorization, MF_DEFAULTS, type MatrixFactorization } from '../ml/models/matrixFactorization';
import { arrayBytes, jsonBytes } from '../ml/models/artifactCodec';

export interface LatencySummary {
  /** Wall clock: includes time other processes held the core on a shared machine. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** This process's CPU time per call: what a dedicated core would see for this single-threaded loop. */
  cpuMs: number;
}

export interface TopKMicroResult {
  items: number;
  dim: number;
  k: number;
  iterations: number;
  simd: boolean;
  /** Kernel + heap, the serving path. */
  simdTopK: LatencySummary;
  /** Plain JS loop + heap: what runtimes without wasm SIMD get. */
  jsTopK: LatencySummary;
}

export interface AnnSweepPoint {
  /** IVF lists scanned per query. */
  probes: number;
  recallAt10: number;
  /** Top 10 with the score range, as serving asks (searchWithRange): median wall clock and CPU per query. */
  p50Ms: number;
  cpuMs: number;
  /** The same for the top 500: the head candidate generation takes from a model. */
  cpuMsTop500: number;
  /** Exact CPU time per query over this one's (CPU time: robust to other work on a shared machine). */
  speedup: number;
}

export interface AnnDataset {
  /** Planted taste clusters the items sit around (fewer: more structure for an index to use). */
  clusters: number;
  /** What the build chose: `describe()` of the served index. */
  index: string;
  lists: number;
  buildSeconds: number;
  /** Longest the event loop was blocked during the build (the build yields between chunks). */
  buildMaxStallMs: number;
  /** Resident memory the process grew by while building (lists, the padded copy of the table). */
  rssGrowthMiB: number;
  estimatedMiB: number;
  exactP50Ms: number;
  exactCpuMs: number;
  exactCpuMsTop500: number;
  /**
   * One list's work for an mf component in serving (ServingModel.scoreComponents, a 500-item head, fusion over the
   * head): CPU ms per list scored exactly over every item, and from the index.
   */
  servingExactCpuMs: number;
  servingAnnCpuMs: number;
  /** At the probes the build calibrated (recall@10 ≥ 0.9 on its own pseudo-queries, not the ones measured here). */
  served: AnnSweepPoint;
  sweep: AnnSweepPoint[];
}

export interface AnnResult {
  items: number;
  dim: number;
  queries: number;
  datasets: AnnDataset[];
}

function time(iterations: number, fn: (i: number) => void): LatencySummary {
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fn(i);
    samples.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  return {
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    cpuMs: (used.user + used.system) / 1000 / iterations,
  };
}

/**
 * Item embeddings with the structure trained ones have (items of a category near their centre) rather than
 * uniform noise, which no index can shortcut; user vectors are mixes of a few items they touched.
 */
export function plantedEmbeddings(items: number, dim: number, rng: Rng, clusters = 500): ItemEmbeddingTable {
  const centres = Float32Array.from({ length: clusters * dim }, () => randNormal(rng) * 0.3);
  const embeddings = new Float32Array(items * dim);
  const bias = new Float32Array(items);
  for (let i = 0; i < items; i++) {
    const c = i % clusters;
    for (let j = 0; j < dim; j++) embeddings[i * dim + j] = centres[c * dim + j] + randNormal(rng) * 0.1;
    bias[i] = randNormal(rng) * 0.2;
  }
  return { embeddings, bias, dim };
}

export function userVectors(table: ItemEmbeddingTable, count: number, rng: Rng): Float32Array {
  const { dim } = table;
  const n = table.embeddings.length / dim;
  const out = new Float32Array(count * dim);
  for (let q = 0; q < count; q++) {
    for (let h = 0; h < 5; h++) {
      const i = randInt(rng, n);
      for (let j = 0; j < dim; j++) out[q * dim + j] += table.embeddings[i * dim + j] / 5;
    }
    for (let j = 0; j < dim; j++) out[q * dim + j] += randNormal(rng) * 0.05;
  }
  return out;
}

export function benchmarkTopK(items: number, dim: number, iterations: number): TopKMicroResult {
  const rng = createRng(21);
  const table = plantedEmbeddings(items, dim, rng);
  const queries = userVectors(table, 64, rng);
  const scorer = new ItemDotScorer(table.embeddings, table.bias, dim);
  const out = new Float32Array(items);
  const query = (i: number) => queries.subarray((i % 64) * dim, ((i % 64) + 1) * dim);
  // Warm-up so the JIT has compiled the heap loop before timing.
  for (let i = 0; i < 50; i++) topK((scorer.score(query(i), out), out), 10);
  const simdTopK = time(iterations, (i) => {
    scorer.score(query(i), out);
    topK(out, 10);
  });
  const jsTopK = time(Math.max(20, iterations >> 2), (i) => {
    dotAllJs(query(i), table.embeddings, table.bias, dim, out);
    topK(out, 10);
  });
  return { items, dim, k: 10, iterations, simd: scorer.simd, simdTopK, jsTopK };
}

/**
 * The approximate index (IVF, src/ml/ann) against exact search on `items` × `dim` planted embeddings: build time
 * and memory, recall@10 and latency at the calibrated probes and a sweep around them, on strongly clustered data
 * (500 tastes) and on weakly clustered data (5,000 tastes of 20 items, little for an index to use).
 */
export async function benchmarkAnn(items: number, dim: number, queriesCount = 200): Promise<AnnResult> {
  const datasets: AnnDataset[] = [];
  for (const clusters of [500, 5000]) {
    const rng = createRng(33);
    const table = plantedEmbeddings(items, dim, rng, clusters);
    const queries = userVectors(table, queriesCount, rng);
    const q = (i: number) => queries.subarray((i % queriesCount) * dim, ((i % queriesCount) + 1) * dim);
    const exact = new ExactItemIndex(table);
    const measure = (index: ItemVectorIndex, k: number) => {
      for (let i = 0; i < 20; i++) index.searchWithRange(q(i), k);
      const times = [0, 1, 2].map(() => time(queriesCount, (i) => index.searchWithRange(q(i), k)));
      return { p50Ms: median(times.map((t) => t.p50Ms)), cpuMs: median(times.map((t) => t.cpuMs)) };
    };
    const exact10 = measure(exact, 10);
    const exact500 = measure(exact, 500);

    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    // A serving process builds while it answers requests: the longest the event loop waited is what a request could.
    const stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
    const ann = await buildItemVectorIndex(table, { annMinItems: 0 });
    stalls.disable();
    const buildSeconds = (performance.now() - started) / 1000;
    const rssGrowthMiB = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
    progress(`ANN, ${clusters} clusters: built in ${buildSeconds.toFixed(1)} s: ${ann.describe()}`);
    const calibrated = ann as ItemVectorIndex & { probes?: number; calibration?: { lists: number } | null };
    const lists = calibrated.calibration?.lists ?? 0;
    const point = (probes: number): AnnSweepPoint => {
      const index = ann.withSearchBreadth(probes);
      const top10 = measure(index, 10);
      return {
        probes,
        recallAt10: recallAtK(index, exact, queries, dim, 10),
        p50Ms: top10.p50Ms,
        cpuMs: top10.cpuMs,
        cpuMsTop500: measure(index, 500).cpuMs,
        speedup: exact10.cpuMs / top10.cpuMs,
      };
    };
    const servedProbes = calibrated.probes ?? 0;
    const settings = [...new Set([4, 8, 16, 32, 64, 128, 256, servedProbes])].filter((p) => p > 0 && p <= lists).sort((a, b) => a - b);
    const sweep = settings.map(point);
    const serving = servingCost(table, ann, q, queriesCount);
    datasets.push({
      clusters,
      servingExactCpuMs: serving.exactCpuMs,
      servingAnnCpuMs: serving.annCpuMs,
      index: ann.describe(),
      lists,
      buildSeconds,
      buildMaxStallMs: stalls.max / 1e6,
      rssGrowthMiB,
      estimatedMiB: ann.memoryBytes() / 2 ** 20,
      exactP50Ms: exact10.p50Ms,
      exactCpuMs: exact10.cpuMs,
      exactCpuMsTop500: exact500.cpuMs,
      served: sweep.find((x) => x.probes === servedProbes) as AnnSweepPoint,
      sweep,
    });
  }
  return { items, dim, queries: queriesCount, datasets };
}

/** An mf model over `table` (no trained users: serving is asked with online vectors), restored as a version is. */
function mfOver(table: ItemEmbeddingTable): MatrixFactorization {
  const n = table.embeddings.length / table.dim;
  const header = { format: 'freshrec-mf', version: 1, dim: table.dim, numUsers: 0, numItems: n, params: { ...MF_DEFAULTS, dim: table.dim }, trainedEpochs: 1 };
  return loadMatrixFactorization({
    header: jsonBytes(header),
    userEmbeddings: arrayBytes(new Float32Array(0)),
    itemEmbeddings: arrayBytes(table.embeddings),
    itemBias: arrayBytes(table.bias ?? new Float32Array(n)),
    trainedUsers: arrayBytes(new Uint8Array(0)),
  });
}

/** CPU ms per list of the mf part of candidate ranking, exact and from `ann`: score, take a 500 head, fuse over it. */
function servingCost(table: ItemEmbeddingTable, ann: ItemVectorIndex, q: (i: number) => Float32Array, count: number): { exactCpuMs: number; annCpuMs: number } {
  const n = table.embeddings.length / table.dim;
  const itemIds = Array.from({ length: n }, (_, i) => `i${i}`);
  const exact = new ServingModel(1, 'v1 mf', [{ kind: 'mf', model: mfOver(table), weight: 1, itemIds }]);
  const approx = new ServingModel(1, 'v1 mf', [{ kind: 'mf', model: mfOver(table), weight: 1, itemIds }]);
  const source = embeddingSource(approx.component('mf') as MatrixFactorization);
  if (!source) throw new Error('mf has no embedding source');
  approx.useItemIndex('mf', source, ann);
  const empty = approx.toHistory([]);
  const list = (model: ServingModel, i: number) => {
    const components = model.scoreComponents(empty, { userEmbedding: q(i) });
    const head: number[] = [];
    components.headOf(0, 500, () => false, (u) => head.push(u));
    components.restrict(Int32Array.from(head).sort());
    components.release();
  };
  const cpu = (model: ServingModel) => {
    for (let i = 0; i < 20; i++) list(model, i);
    return median([0, 1, 2].map(() => time(count, (i) => list(model, i)).cpuMs));
  };
  return { exactCpuMs: cpu(exact), annCpuMs: cpu(approx) };
}
