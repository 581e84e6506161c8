// Top-K selection over a dense score array with a binary min-heap: O(n log k), no allocation per item.
// Serving calls this for every request, so it is a tight loop over typed arrays, never a tensor op.
import { ScoreHeap } from './scoreHeap';

export interface TopK {
  indices: Int32Array;
  scores: Float32Array;
}

/**
 * The `k` highest-scoring indices of `scores`, best first. Entries that are -Infinity or NaN,
 * or for which `skip(i)` is true, are never returned, so the result may be shorter than k.
 */
export function topK(scores: Float32Array, k: number, skip?: (i: number) => boolean): TopK {
  const heap = new ScoreHeap(k);
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (!(s > -Infinity)) continue; // also rejects NaN
    if (s <= heap.threshold) continue;
    if (skip !== undefined && skip(i)) continue;
    heap.offer(i, s);
  }
  return heap.result();
}
