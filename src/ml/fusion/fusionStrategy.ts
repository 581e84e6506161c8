// The one small interface behind every fusion strategy, and the per-user candidate set they all read:
// the union of each component's top list (history excluded), with each component's z-score and rank per candidate.
import { topK } from '../topK';

export type FusionStrategyName = 'weighted' | 'rrf' | 'stacking';

/** One user's candidates and what each of C components thinks of them, row-major [component * size + candidate]. */
export interface CandidateSet {
  items: Int32Array;
  size: number;
  components: number;
  /** Component score standardised over the candidates (mean 0, sd 1). */
  z: Float32Array;
  /** 0-based rank of the candidate by that component's score among the candidates (ties: lower item index first). */
  ranks: Float32Array;
  /** Number of events in the user's history (activity level). */
  historyLength: number;
  /** Scoring time, unix seconds, when known (time-of-day features). */
  now?: number;
}

/** A validation user's candidate set and where the held-out item sits in it (-1: not a candidate). */
export interface FusionExample {
  set: CandidateSet;
  target: number;
}

export interface FusionStrategy {
  readonly name: FusionStrategyName;
  /** Writes the fused score of candidate j into out[j], j < set.size. */
  fuse(set: CandidateSet, out: Float32Array): void;
  /** Fits the strategy's parameters on validation examples. */
  fit(examples: FusionExample[], opts?: { seed?: number }): void;
  /** JSON-serialisable parameters; `create…(state)` restores them. */
  state(): unknown;
}

/**
 * Builds the candidate set from per-component score arrays (length numItems): the top `perComponent`
 * of each component, skipping items flagged in `exclude` (the user's history).
 */
export function buildCandidateSet(
  componentScores: Float32Array[],
  exclude: Uint8Array,
  perComponent: number,
  historyLength: number,
  now: number | undefined,
  marker: Int32Array,
): CandidateSet {
  const items: number[] = [];
  for (const scores of componentScores) {
    const top = topK(scores, perComponent, (i) => exclude[i] !== 0);
    for (let r = 0; r < top.indices.length; r++) {
      const i = top.indices[r];
      if (marker[i] === 0) {
        marker[i] = 1;
        items.push(i);
      }
    }
  }
  for (const i of items) marker[i] = 0;
  items.sort((a, b) => a - b);
  const size = items.length;
  const components = componentScores.length;
  const z = new Float32Array(components * size);
  const ranks = new Float32Array(components * size);
  const order = new Array<number>(size);
  for (let c = 0; c < components; c++) {
    const scores = componentScores[c];
    let min = Infinity;
    for (const i of items) if (Number.isFinite(scores[i]) && scores[i] < min) min = scores[i];
    if (!Number.isFinite(min)) min = 0;
    const raw = items.map((i) => (Number.isFinite(scores[i]) ? scores[i] : min));
    let mean = 0;
    for (const v of raw) mean += v;
    mean /= Math.max(size, 1);
    let variance = 0;
    for (const v of raw) variance += (v - mean) * (v - mean);
    const sd = Math.sqrt(variance / Math.max(size, 1));
    for (let j = 0; j < size; j++) z[c * size + j] = sd > 0 ? (raw[j] - mean) / sd : 0;
    for (let j = 0; j < size; j++) order[j] = j;
    // items is ascending, so ties keep the lower item index first, like topK.
    order.sort((a, b) => raw[b] - raw[a] || a - b);
    for (let r = 0; r < size; r++) ranks[c * size + order[r]] = r;
  }
  return { items: Int32Array.from(items), size, components, z, ranks, historyLength, now };
}

/** 0-based rank of candidate `target` under `scores` (ties: lower item index first, as topK orders them). */
export function rankWithin(set: CandidateSet, scores: ArrayLike<number>, target: number): number {
  const st = scores[target];
  const it = set.items[target];
  let rank = 0;
  for (let j = 0; j < set.size; j++) {
    const s = scores[j];
    if (s > st || (s === st && set.items[j] < it)) rank++;
  }
  return rank;
}

/** Mean NDCG@k of a scoring function over examples; absent targets count as misses. */
export function examplesNdcg(examples: FusionExample[], score: (set: CandidateSet, out: Float32Array) => void, k = 10): number {
  if (examples.length === 0) return 0;
  let sum = 0;
  let buffer = new Float32Array(256);
  for (const { set, target } of examples) {
    if (target < 0) continue;
    if (buffer.length < set.size) buffer = new Float32Array(set.size * 2);
    score(set, buffer);
    const rank = rankWithin(set, buffer, target);
    if (rank < k) sum += 1 / Math.log2(rank + 2);
  }
  return sum / examples.length;
}

/** Scores candidates by one component alone (its own ranking), for comparing fusion with its best component. */
export function componentScorer(c: number): (set: CandidateSet, out: Float32Array) => void {
  return (set, out) => {
    for (let j = 0; j < set.size; j++) out[j] = -set.ranks[c * set.size + j];
  };
}
