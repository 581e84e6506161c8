// Turns user histories into next-item training windows and packs them into length-bucketed batches,
// so short sessions are not padded to the longest one (most users of the e-commerce sets have < 20 events).
import type { Interactions } from '../interactions';
import type { Rng } from '../random';

/** One training window: inputs items[start..end-1], targets items[start+1..end]. */
export interface TrainingWindow {
  start: number;
  /** Number of input positions (= targets). */
  length: number;
}

/**
 * Windows over each user's rows: the last `maxLen` transitions of a user form one window, older ones
 * further windows of up to `maxLen` (at most `windowsPerUser` per user, newest first).
 */
export function trainingWindows(data: Interactions, maxLen: number, windowsPerUser: number): TrainingWindow[] {
  const out: TrainingWindow[] = [];
  for (let u = 0; u < data.userIds.length; u++) {
    const first = data.userOffsets[u];
    let end = data.userOffsets[u + 1] - 1; // last target row
    for (let w = 0; w < windowsPerUser && end > first; w++) {
      const length = Math.min(maxLen, end - first);
      out.push({ start: end - length, length });
      end -= length;
    }
  }
  return out;
}

export interface PackedBatch {
  /** [B, L] inputs, left-padded with `pad`. */
  items: Int32Array;
  /** [B, L] next items, -1 at padding. */
  targets: Int32Array;
  batch: number;
  length: number;
}

/**
 * Groups windows of similar length (a jittered sort, so batches differ between epochs) into batches of
 * at most `tokensPerBatch` padded positions, in random order.
 */
export function packBatches(windows: TrainingWindow[], items: Int32Array, pad: number, tokensPerBatch: number, rng: Rng): PackedBatch[] {
  const keys = windows.map((w, i) => ({ i, key: w.length + rng() * 2 }));
  keys.sort((a, b) => a.key - b.key);
  const batches: PackedBatch[] = [];
  let group: TrainingWindow[] = [];
  let longest = 0;
  const flush = () => {
    if (group.length > 0) batches.push(pack(group, longest, items, pad));
    group = [];
    longest = 0;
  };
  for (const { i } of keys) {
    const w = windows[i];
    const L = Math.max(longest, w.length);
    if (group.length > 0 && (group.length + 1) * L > tokensPerBatch) flush();
    group.push(w);
    longest = Math.max(longest, w.length);
  }
  flush();
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}

function pack(group: TrainingWindow[], L: number, items: Int32Array, pad: number): PackedBatch {
  const B = group.length;
  const inputs = new Int32Array(B * L).fill(pad);
  const targets = new Int32Array(B * L).fill(-1);
  for (let b = 0; b < B; b++) {
    const { start, length } = group[b];
    const offset = b * L + (L - length);
    for (let t = 0; t < length; t++) {
      inputs[offset + t] = items[start + t];
      targets[offset + t] = items[start + t + 1];
    }
  }
  return { items: inputs, targets, batch: B, length: L };
}

/** The last `maxLen` items of a history (unknown ids dropped), left-padded into row `row` of `out`. */
export function packHistory(history: Int32Array, numItems: number, maxLen: number, L: number, out: Int32Array, row: number, pad: number): void {
  const base = row * L;
  out.fill(pad, base, base + L);
  let pos = L - 1;
  for (let h = history.length - 1; h >= 0 && pos >= 0 && L - 1 - pos < maxLen; h--) {
    const item = history[h];
    if (item < 0 || item >= numItems) continue;
    out[base + pos--] = item;
  }
}
