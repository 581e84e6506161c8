// Serving's inner loop alone: one user vector against N items × 64-dim embeddings, scored with the SIMD
// dot-product kernel MF serves with (and its JS fallback), then the top 10 by heap; and the same question
// answered by the approximate index (src/ml/ann), with its recall@10, speedup, build time and memory.
import { ItemDotScorer, dotAllJs } from '../ml/kernels/itemDotScorer';
import { topK } from '../ml/topK';
import { createRng, randInt, randNormal, type Rng } from '../ml/random';
import { buildItemVectorIndex, type ItemEmbeddingTable } from '../ml/ann/itemVectorIndex';
import { recallAtK } from '../ml/ann/recallAtK';
import { ExactItemIndex } from '../ml/ann/exactItemIndex';
import { loadHnswlib, HNSW_DEFAULTS } from '../ml/ann/hnswItemIndex';
import { median, percentile, progress } from './stats';

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
  efSearch: number;
  recallAt10: number;
  p50Ms: number;
  cpuMs: number;
  /** Exact CPU time per query over this one's (CPU time: robust to other work on a shared machine). */
  speedup: number;
}

export interface AnnResult {
  available: boolean;
  reason: string | null;
  items: number;
  dim: number;
  buildSeconds: number;
  /** Resident memory the process grew by while building (graph plus the vectors it copies). */
  rssGrowthMiB: number;
  estimatedMiB: number;
  m: number;
  efConstruction: number;
  exactP50Ms: number;
  exactCpuMs: number;
  sweep: AnnSweepPoint[];
  /** The smallest efSearch reaching recall@10 ≥ 0.9, with its speedup over exact. */
  chosen: AnnSweepPoint | null;
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

export async function benchmarkAnn(items: number, dim: number, queriesCount = 200): Promise<AnnResult> {
  const base = { items, dim, m: HNSW_DEFAULTS.m, efConstruction: HNSW_DEFAULTS.efConstruction };
  const hnswlib = loadHnswlib();
  if (!hnswlib) {
    return { ...base, available: false, reason: 'hnswlib-node is not installed', buildSeconds: NaN, rssGrowthMiB: NaN, estimatedMiB: NaN, exactP50Ms: NaN, exactCpuMs: NaN, sweep: [], chosen: null };
  }
  const rng = createRng(33);
  const table = plantedEmbeddings(items, dim, rng);
  const queries = userVectors(table, queriesCount, rng);
  const exact = new ExactItemIndex(table);
  const q = (i: number) => queries.subarray((i % queriesCount) * dim, ((i % queriesCount) + 1) * dim);
  for (let i = 0; i < 20; i++) exact.search(q(i), 10);
  const exactTimes = [0, 1, 2].map(() => time(queriesCount, (i) => exact.search(q(i), 10)));
  const exactP50Ms = median(exactTimes.map((t) => t.p50Ms));
  const exactCpuMs = median(exactTimes.map((t) => t.cpuMs));

  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  let lastReport = 0;
  const ann = await buildItemVectorIndex(table, {
    annMinItems: 0,
    loadModule: () => hnswlib,
    onProgress: (f) => {
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        progress(`ANN index: ${(f * 100).toFixed(0)}% built`);
      }
    },
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const rssGrowthMiB = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;

  const sweep: AnnSweepPoint[] = [];
  for (const efSearch of [32, 64, 128, 256, 512]) {
    const index = ann.withSearchBreadth(efSearch);
    const recall = recallAtK(index, exact, queries, dim, 10);
    for (let i = 0; i < 20; i++) index.search(q(i), 10);
    const times = [0, 1, 2].map(() => time(queriesCount, (i) => index.search(q(i), 10)));
    const cpuMs = median(times.map((t) => t.cpuMs));
    sweep.push({ efSearch, recallAt10: recall, p50Ms: median(times.map((t) => t.p50Ms)), cpuMs, speedup: exactCpuMs / cpuMs });
  }
  return {
    ...base,
    available: true,
    reason: null,
    buildSeconds,
    rssGrowthMiB,
    estimatedMiB: ann.memoryBytes() / 2 ** 20,
    exactP50Ms,
    exactCpuMs,
    sweep,
    chosen: sweep.find((s) => s.recallAt10 >= 0.9) ?? null,
  };
}
