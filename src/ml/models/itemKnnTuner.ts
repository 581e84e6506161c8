// Validation tuning for the item-to-item model: coordinate ascent on NDCG@10 over ordered grids.
// Ranks are counted from the touched neighbours plus a sorted popularity array, so one evaluation costs
// O(history × neighbours) per user instead of a pass over the catalogue, and thousands of users stay cheap.
import { historyOf, type Interactions } from '../interactions';
import { createRng } from '../random';
import { yieldToEventLoop } from '../training/trainingLoop';
import {
  accumulateNeighbours,
  buildCoCounts,
  countPairs,
  pruneNeighbours,
  tailPopularity,
  type CoCounts,
  type ItemKnnParams,
  type NeighbourGraph,
} from './itemKnnGraph';

type Rebuild = 'co' | 'prune' | 'popularity' | 'none';

/** Ordered candidate values per parameter, and what must be recomputed when it changes. */
const GRID: { key: keyof ItemKnnParams; values: number[]; rebuild: Rebuild }[] = [
  { key: 'window', values: [1, 2, 3, 5, 8, 12, 20, 35, 50, 100], rebuild: 'co' },
  { key: 'backwardWeight', values: [0, 0.1, 0.25, 0.5, 0.75, 1], rebuild: 'co' },
  { key: 'gapDecay', values: [0.4, 0.55, 0.7, 0.85, 1], rebuild: 'co' },
  { key: 'firstOccurrenceOnly', values: [0, 1], rebuild: 'co' },
  { key: 'pairTailDecay', values: [0.8, 0.9, 0.95, 0.98, 0.99, 1], rebuild: 'co' },
  // 0 switches time weighting off, i.e. an infinite scale, so it sorts last.
  { key: 'timeScaleDays', values: [0.003, 0.03, 0.3, 3, 30, 0], rebuild: 'co' },
  { key: 'alpha', values: [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1], rebuild: 'prune' },
  { key: 'beta', values: [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1], rebuild: 'prune' },
  { key: 'neighbours', values: [50, 100, 200, 400], rebuild: 'prune' },
  { key: 'historyLength', values: [1, 2, 3, 5, 8, 12, 20, 35, 50, 100], rebuild: 'none' },
  { key: 'historyDecay', values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], rebuild: 'none' },
  { key: 'recencyByTime', values: [0, 1], rebuild: 'none' },
  { key: 'eventWeightPower', values: [0, 0.25, 0.5, 1, 2], rebuild: 'none' },
  { key: 'popularityBlend', values: [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3], rebuild: 'none' },
  { key: 'popularityTailDecay', values: [0.5, 0.8, 0.9, 0.95, 0.99, 1], rebuild: 'popularity' },
];

const MAX_HISTORY = 100;

export interface ItemKnnTuningOptions {
  seed?: number;
  /** Validation users scored per evaluation (a seeded sample above this). */
  maxUsers?: number;
  /** Evaluations allowed: the deterministic bound on tuning time. */
  maxEvaluations?: number;
  /** Wall-clock safety net (results then depend on machine speed); the search stops after the evaluation that exceeds it. */
  budgetSeconds?: number;
  /** Windows whose co-count build would exceed this many pairs are skipped (memory bound). */
  maxPairs?: number;
  onProgress?: (fraction: number, phase: string) => void;
}

export interface ItemKnnTuningResult {
  params: ItemKnnParams;
  ndcg: number;
  graph: NeighbourGraph;
  popularity: Float32Array;
  evaluations: number;
}

/** NDCG@10 of the item-kNN scores on fixed validation users, history items excluded, ties counted half. */
class FastValidationRanker {
  private readonly acc: Float32Array;
  private readonly touched: Int32Array;
  private readonly historyMask: Uint8Array;
  private readonly used = new Int32Array(MAX_HISTORY);

  constructor(
    private readonly data: Interactions,
    private readonly users: Int32Array,
    private readonly targets: Int32Array,
  ) {
    const n = data.itemIds.length;
    this.acc = new Float32Array(n);
    this.touched = new Int32Array(n);
    this.historyMask = new Uint8Array(n);
  }

  /** Yields to the event loop every few thousand users (see tuneItemKnn). */
  async ndcg(graph: NeighbourGraph, popularity: Float32Array, p: ItemKnnParams): Promise<number> {
    const { acc, touched, historyMask: mask } = this;
    const numItems = popularity.length;
    const sortedPop = Float32Array.from(popularity).sort().reverse();
    /** Items whose popularity is strictly above x. */
    const countAbove = (x: number): number => {
      let lo = 0;
      let hi = numItems;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedPop[mid] > x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const blend = p.popularityBlend;
    let sum = 0;
    for (let e = 0; e < this.users.length; e++) {
      if (e % 2000 === 1999) await yieldToEventLoop();
      const history = historyOf(this.data, this.users[e]);
      const t = this.targets[e];
      let historySize = 0;
      for (let h = 0; h < history.items.length; h++) {
        if (mask[history.items[h]] === 0) historySize++;
        mask[history.items[h]] = 1;
      }
      const nTouched = accumulateNeighbours(graph, p, history, acc, touched, this.used);
      if (mask[t] === 0) {
        let max = 0;
        for (let k = 0; k < nTouched; k++) if (acc[touched[k]] > max) max = acc[touched[k]];
        const scale = max > 0 ? 1 / max : 0;
        const st = acc[t] * scale + blend * popularity[t];
        const thr = blend > 0 ? st / blend : Infinity;
        let greater = 0;
        let ties = 0;
        let evidence = 0;
        for (let k = 0; k < nTouched; k++) {
          const b = touched[k];
          if (mask[b] === 1) continue;
          evidence++;
          if (b === t) continue;
          const sb = acc[b] * scale + blend * popularity[b];
          if (sb > st) greater++;
          else if (sb === st) ties++;
        }
        if (blend > 0) {
          // Items without neighbour evidence score blend * popularity: count those above the target.
          let above = countAbove(thr);
          for (let k = 0; k < nTouched; k++) if (popularity[touched[k]] > thr) above--;
          for (let h = 0; h < history.items.length; h++) {
            const i = history.items[h];
            if (mask[i] === 1 && acc[i] === 0 && popularity[i] > thr) {
              above--;
              mask[i] = 2; // count each history item once
            }
          }
          greater += Math.max(0, above);
        } else if (st === 0) {
          ties += numItems - historySize - evidence - (acc[t] > 0 ? 0 : 1);
        }
        const rank = greater + ties / 2;
        if (rank < 10) sum += 1 / Math.log2(rank + 2);
      }
      for (let k = 0; k < nTouched; k++) acc[touched[k]] = 0;
      for (let h = 0; h < history.items.length; h++) mask[history.items[h]] = 0;
    }
    return this.users.length > 0 ? sum / this.users.length : 0;
  }
}

/**
 * Coordinate ascent from `start`: for each parameter in turn, walk its grid up then down from the
 * current value while validation NDCG@10 improves; repeat until a round changes nothing. Yields to the event
 * loop before every evaluation: on a large shop the whole search takes minutes, and the worker that runs it also
 * applies the online updates, which would otherwise wait for all of it.
 */
export async function tuneItemKnn(
  data: Interactions,
  validation: { users: Int32Array; targets: Int32Array },
  start: ItemKnnParams,
  opts: ItemKnnTuningOptions = {},
): Promise<ItemKnnTuningResult> {
  const began = performance.now();
  const budgetMs = (opts.budgetSeconds ?? 300) * 1000;
  const maxEvaluations = opts.maxEvaluations ?? 150;
  const maxPairs = opts.maxPairs ?? 40_000_000;
  const maxUsers = opts.maxUsers ?? 20_000;
  let users = validation.users;
  let targets = validation.targets;
  if (users.length > maxUsers) {
    const rng = createRng(opts.seed ?? 1);
    const picked = Int32Array.from({ length: users.length }, (_, i) => i);
    for (let i = 0; i < maxUsers; i++) {
      const j = i + Math.floor(rng() * (picked.length - i));
      [picked[i], picked[j]] = [picked[j], picked[i]];
    }
    const rows = picked.subarray(0, maxUsers).sort();
    users = rows.map((r) => validation.users[r]);
    targets = rows.map((r) => validation.targets[r]);
  }
  const ranker = new FastValidationRanker(data, users, targets);

  const params = { ...start, historyLength: Math.min(start.historyLength, MAX_HISTORY) };
  let co: CoCounts = await buildCoCounts(data, params);
  let graph = pruneNeighbours(co, params);
  let popularity = tailPopularity(data, params.popularityTailDecay);
  let best = await ranker.ndcg(graph, popularity, params);
  let evaluations = 1;
  const outOfTime = () => evaluations >= maxEvaluations || performance.now() - began > budgetMs;

  const tryValue = async (key: keyof ItemKnnParams, value: number, rebuild: Rebuild): Promise<boolean> => {
    if (rebuild === 'co' && key === 'window' && countPairs(data, value) > maxPairs) return false;
    await yieldToEventLoop();
    const previous = params[key];
    params[key] = value;
    const candidateCo = rebuild === 'co' ? await buildCoCounts(data, params) : co;
    const candidateGraph = rebuild === 'co' || rebuild === 'prune' ? pruneNeighbours(candidateCo, params) : graph;
    const candidatePop = rebuild === 'popularity' ? tailPopularity(data, params.popularityTailDecay) : popularity;
    const ndcg = await ranker.ndcg(candidateGraph, candidatePop, params);
    evaluations++;
    if (ndcg > best + 1e-5) {
      best = ndcg;
      co = candidateCo;
      graph = candidateGraph;
      popularity = candidatePop;
      return true;
    }
    params[key] = previous;
    return false;
  };

  const totalSteps = 3 * GRID.length;
  let step = 0;
  for (let round = 0; round < 3 && !outOfTime(); round++) {
    let changed = false;
    for (const { key, values, rebuild } of GRID) {
      if (outOfTime()) break;
      opts.onProgress?.(step++ / totalSteps, `tuning ${key}`);
      let idx = values.indexOf(params[key]);
      if (idx < 0) {
        // Start from the grid value nearest the current one.
        idx = 0;
        for (let i = 1; i < values.length; i++) if (Math.abs(values[i] - params[key]) < Math.abs(values[idx] - params[key])) idx = i;
        if (values[idx] !== params[key] && (await tryValue(key, values[idx], rebuild))) changed = true;
      }
      let movedUp = false;
      for (let i = idx + 1; i < values.length && !outOfTime() && (await tryValue(key, values[i], rebuild)); i++) {
        movedUp = true;
        changed = true;
      }
      if (movedUp) continue;
      for (let i = idx - 1; i >= 0 && !outOfTime() && (await tryValue(key, values[i], rebuild)); i--) changed = true;
    }
    if (!changed) break;
  }
  return { params, ndcg: best, graph, popularity, evaluations };
}
