// The item-to-item neighbour graph behind kind 'itemknn': windowed directed co-occurrence, popularity damping,
// top-M pruning into CSR arrays, and the per-user accumulation of neighbour scores that serving and tuning share.
import type { Interactions, UserHistory } from '../interactions';
import { numberParam, type Params } from './modelParams';
import { yieldToEventLoop } from '../training/trainingLoop';

export interface ItemKnnParams {
  /** Events on each side of an event that count as co-occurring with it. */
  window: number;
  /** Weight of a "b came before a" pair relative to "b came after a" (next-item transitions count more). */
  backwardWeight: number;
  /** Pair weight multiplier per extra step of sequence distance (1 = flat window). */
  gapDecay: number;
  /** Time gap (days) at which a pair's weight halves; 0 disables time weighting. */
  timeScaleDays: number;
  /** Pair weight multiplier per step between the pair and the end of its user's sequence: recent tastes count more. */
  pairTailDecay: number;
  /** 1: a pair counts only when its later event is the user's first event on that item (evaluation never asks for re-clicks). */
  firstOccurrenceOnly: number;
  /** sim(a,b) = co(a,b) / (count(a)^alpha * count(b)^beta): beta damps popular neighbours. */
  alpha: number;
  beta: number;
  /** Neighbours kept per item. */
  neighbours: number;
  /** Most recent distinct history items used for scoring. */
  historyLength: number;
  /** Weight multiplier per step back in the user's history (the last item weighs 1). */
  historyDecay: number;
  /** 1: the history recency only steps when the timestamp changes, so one basket / rating batch weighs alike. */
  recencyByTime: number;
  /** History events weigh eventWeight^power (0 ignores event types and ratings). */
  eventWeightPower: number;
  /** Weight of normalised popularity added to the max-normalised neighbour scores (backfill and prior). */
  popularityBlend: number;
  /** Popularity weight multiplier per step back from the end of each user's sequence (1 = plain counts). */
  popularityTailDecay: number;
}

export const DEFAULT_ITEMKNN_PARAMS: Readonly<ItemKnnParams> = Object.freeze({
  window: 10,
  backwardWeight: 0.5,
  gapDecay: 0.7,
  timeScaleDays: 0,
  pairTailDecay: 0.98,
  firstOccurrenceOnly: 0,
  alpha: 0.5,
  beta: 0.25,
  neighbours: 200,
  historyLength: 10,
  historyDecay: 0.5,
  recencyByTime: 0,
  eventWeightPower: 0.5,
  popularityBlend: 0.01,
  popularityTailDecay: 1,
});

export function readItemKnnParams(params: Params | undefined, base: Readonly<ItemKnnParams> = DEFAULT_ITEMKNN_PARAMS): ItemKnnParams {
  const out = { ...base };
  for (const key of Object.keys(base) as (keyof ItemKnnParams)[]) out[key] = numberParam(params, key, base[key]);
  return out;
}

/** Unpruned directed co-occurrence counts as CSR rows, one per source item. */
export interface CoCounts {
  offsets: Int32Array;
  targets: Int32Array;
  counts: Float32Array;
  /** Occurrences of each item in training (popularity damping). */
  itemCounts: Float32Array;
}

/** Top-M similarity rows as CSR (row order is not sorted). */
export interface NeighbourGraph {
  offsets: Int32Array;
  neighbours: Int32Array;
  sims: Float32Array;
}

export function emptyGraph(): NeighbourGraph {
  return { offsets: new Int32Array(1), neighbours: new Int32Array(0), sims: new Float32Array(0) };
}

/** Pairs the co-count build would generate: lets callers skip windows that would not fit in memory. */
export function countPairs(data: Interactions, window: number): number {
  let pairs = 0;
  for (let u = 0; u < data.userIds.length; u++) {
    const n = data.userOffsets[u + 1] - data.userOffsets[u];
    const w = Math.min(Math.max(1, Math.round(window)), n - 1);
    // Each position pairs with up to w on each side: n*2w minus the truncated triangles at both ends.
    pairs += Math.max(0, 2 * (n * w - (w * (w + 1)) / 2));
  }
  return pairs;
}

// Users (or source items) handled between two yields to the event loop: a build over a million events takes
// seconds, and the worker running it applies online updates in between (about 0.1 s a slice on a 2-core machine).
const YIELD_EVERY = 5000;
const due = (k: number) => k % YIELD_EVERY === YIELD_EVERY - 1;

/** Counts weighted directed pairs (a at i, b at j, 0 < |i-j| <= window) over every user's sequence. */
export async function buildCoCounts(data: Interactions, p: ItemKnnParams): Promise<CoCounts> {
  const numItems = data.itemIds.length;
  const numUsers = data.userIds.length;
  const { items, times, weights, userOffsets } = data;
  const window = Math.max(1, Math.round(p.window));
  const itemCounts = new Float32Array(numItems);
  for (let r = 0; r < items.length; r++) if (weights[r] > 0) itemCounts[items[r]]++;

  // repeat[r] = 1 when row r's item already occurred earlier in the same user's sequence.
  const repeat = new Uint8Array(items.length);
  if (p.firstOccurrenceOnly > 0) {
    const lastUser = new Int32Array(numItems).fill(-1);
    for (let u = 0; u < numUsers; u++) {
      for (let r = userOffsets[u]; r < userOffsets[u + 1]; r++) {
        if (lastUser[items[r]] === u) repeat[r] = 1;
        lastUser[items[r]] = u;
      }
    }
  }

  // Pass 1: pairs per source item, so pass 2 can write them grouped without sorting.
  const pairOffsets = new Int32Array(numItems + 1);
  for (let u = 0; u < numUsers; u++) {
    if (due(u)) await yieldToEventLoop();
    const start = userOffsets[u];
    const end = userOffsets[u + 1];
    for (let i = start; i < end; i++) {
      if (weights[i] <= 0) continue;
      const hi = Math.min(end - 1, i + window);
      let n = 0;
      for (let j = Math.max(start, i - window); j <= hi; j++) if (j !== i && weights[j] > 0 && items[j] !== items[i] && repeat[j > i ? j : i] === 0) n++;
      pairOffsets[items[i] + 1] += n;
    }
  }
  for (let a = 0; a < numItems; a++) pairOffsets[a + 1] += pairOffsets[a];
  const pairTargets = new Int32Array(pairOffsets[numItems]);
  const pairWeights = new Float32Array(pairOffsets[numItems]);
  const cursor = pairOffsets.slice(0, numItems);
  const gapWeight = new Float32Array(window + 1);
  for (let g = 1; g <= window; g++) gapWeight[g] = Math.pow(p.gapDecay, g - 1);
  const timeScale = p.timeScaleDays * 86400;
  let longest = 0;
  for (let u = 0; u < numUsers; u++) longest = Math.max(longest, userOffsets[u + 1] - userOffsets[u]);
  const tailWeight = new Float32Array(longest + 1);
  for (let d = 0; d <= longest; d++) tailWeight[d] = Math.pow(p.pairTailDecay, d);

  // Pass 2: write the weighted pairs.
  for (let u = 0; u < numUsers; u++) {
    if (due(u)) await yieldToEventLoop();
    const start = userOffsets[u];
    const end = userOffsets[u + 1];
    for (let i = start; i < end; i++) {
      if (weights[i] <= 0) continue;
      const a = items[i];
      const hi = Math.min(end - 1, i + window);
      for (let j = Math.max(start, i - window); j <= hi; j++) {
        if (j === i || weights[j] <= 0 || items[j] === a || repeat[j > i ? j : i] !== 0) continue;
        let w = j > i ? gapWeight[j - i] : p.backwardWeight * gapWeight[i - j];
        if (timeScale > 0) w /= 1 + Math.abs(times[j] - times[i]) / timeScale;
        w *= tailWeight[end - 1 - (j > i ? j : i)];
        const slot = cursor[a]++;
        pairTargets[slot] = items[j];
        pairWeights[slot] = w;
      }
    }
  }

  // Pass 3: merge duplicate targets within each source row through a dense accumulator.
  const acc = new Float32Array(numItems);
  const touched = new Int32Array(numItems);
  const offsets = new Int32Array(numItems + 1);
  const targets = new Int32Array(pairTargets.length);
  const counts = new Float32Array(pairTargets.length);
  let size = 0;
  for (let a = 0; a < numItems; a++) {
    if (due(a)) await yieldToEventLoop();
    let nTouched = 0;
    for (let s = pairOffsets[a]; s < pairOffsets[a + 1]; s++) {
      const b = pairTargets[s];
      if (acc[b] === 0) touched[nTouched++] = b;
      acc[b] += pairWeights[s];
    }
    for (let t = 0; t < nTouched; t++) {
      const b = touched[t];
      targets[size] = b;
      counts[size] = acc[b];
      size++;
      acc[b] = 0;
    }
    offsets[a + 1] = size;
  }
  return { offsets, targets: targets.slice(0, size), counts: counts.slice(0, size), itemCounts };
}

/** The k-th largest of values[0..len) by quickselect on `scratch` (k >= 1, k <= len). */
function kthLargest(values: Float32Array, len: number, k: number, scratch: Float32Array): number {
  for (let i = 0; i < len; i++) scratch[i] = values[i];
  let lo = 0;
  let hi = len - 1;
  const want = k - 1;
  while (lo < hi) {
    const pivot = scratch[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (scratch[i] > pivot) i++;
      while (scratch[j] < pivot) j--;
      if (i <= j) {
        const t = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else break;
  }
  return scratch[want];
}

/** Popularity-damped similarities, keeping the best `neighbours` per row (ties at the cut: lowest index first). */
export function pruneNeighbours(co: CoCounts, p: ItemKnnParams): NeighbourGraph {
  const numItems = co.itemCounts.length;
  const m = Math.max(1, Math.round(p.neighbours));
  const damp = new Float32Array(numItems);
  for (let b = 0; b < numItems; b++) damp[b] = co.itemCounts[b] > 0 ? Math.pow(co.itemCounts[b], -p.beta) : 0;
  const offsets = new Int32Array(numItems + 1);
  for (let a = 0; a < numItems; a++) offsets[a + 1] = offsets[a] + Math.min(m, co.offsets[a + 1] - co.offsets[a]);
  const neighbours = new Int32Array(offsets[numItems]);
  const sims = new Float32Array(offsets[numItems]);
  let maxRow = 0;
  for (let a = 0; a < numItems; a++) maxRow = Math.max(maxRow, co.offsets[a + 1] - co.offsets[a]);
  const row = new Float32Array(maxRow);
  const scratch = new Float32Array(maxRow);
  for (let a = 0; a < numItems; a++) {
    const start = co.offsets[a];
    const len = co.offsets[a + 1] - start;
    if (len === 0) continue;
    const sourceDamp = Math.pow(Math.max(co.itemCounts[a], 1), -p.alpha);
    for (let s = 0; s < len; s++) row[s] = co.counts[start + s] * sourceDamp * damp[co.targets[start + s]];
    let w = offsets[a];
    if (len <= m) {
      for (let s = 0; s < len; s++, w++) {
        neighbours[w] = co.targets[start + s];
        sims[w] = row[s];
      }
      continue;
    }
    const cut = kthLargest(row, len, m, scratch);
    let above = 0;
    for (let s = 0; s < len; s++) if (row[s] > cut) above++;
    let tiesLeft = m - above;
    for (let s = 0; s < len; s++) {
      if (row[s] > cut || (row[s] === cut && tiesLeft-- > 0)) {
        neighbours[w] = co.targets[start + s];
        sims[w] = row[s];
        w++;
      }
    }
  }
  return { offsets, neighbours, sims };
}

/** Normalised popularity (max 1), with events near the end of each user's sequence counting more when tailDecay < 1. */
export function tailPopularity(data: Interactions, tailDecay: number): Float32Array {
  const popularity = new Float32Array(data.itemIds.length);
  for (let u = 0; u < data.userIds.length; u++) {
    let w = 1;
    for (let r = data.userOffsets[u + 1] - 1; r >= data.userOffsets[u]; r--, w *= tailDecay) popularity[data.items[r]] += w * data.weights[r];
  }
  let max = 0;
  for (let i = 0; i < popularity.length; i++) if (popularity[i] > max) max = popularity[i];
  if (max > 0) for (let i = 0; i < popularity.length; i++) popularity[i] /= max;
  return popularity;
}

/**
 * Adds the recency-weighted neighbour rows of the user's recent distinct items into `acc` (zero where
 * untouched), listing each newly touched item in `touched`. Returns how many were touched; the caller
 * zeroes them afterwards. A re-clicked item counts once, at its latest position.
 */
export function accumulateNeighbours(
  graph: NeighbourGraph,
  p: ItemKnnParams,
  history: UserHistory,
  acc: Float32Array,
  touched: Int32Array,
  usedScratch: Int32Array,
): number {
  const { offsets, neighbours, sims } = graph;
  const numItems = offsets.length - 1;
  const n = history.items.length;
  const length = Math.min(usedScratch.length, Math.max(0, Math.round(p.historyLength)));
  let nUsed = 0;
  let nTouched = 0;
  let recency = 1;
  for (let h = n - 1; h >= 0 && nUsed < length; h--) {
    const a = history.items[h];
    if (a < 0 || a >= numItems) continue;
    let seen = false;
    for (let k = 0; k < nUsed; k++) if (usedScratch[k] === a) seen = true;
    if (seen) continue;
    usedScratch[nUsed++] = a;
    const ew = history.weights[h];
    const w = p.eventWeightPower === 0 ? recency : recency * Math.pow(Math.max(ew, 0), p.eventWeightPower);
    if (p.recencyByTime === 0 || h === 0 || history.times[h - 1] !== history.times[h]) recency *= p.historyDecay;
    if (!(w > 0)) continue;
    for (let s = offsets[a]; s < offsets[a + 1]; s++) {
      const v = w * sims[s];
      if (!(v > 0)) continue;
      const b = neighbours[s];
      if (acc[b] === 0) touched[nTouched++] = b;
      acc[b] += v;
    }
  }
  return nTouched;
}
