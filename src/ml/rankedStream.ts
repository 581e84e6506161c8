// The best entries of a score array one at a time, best first (higher score, then lower index), for callers that
// usually stop after a few: a heap built in linear time and popped on demand, instead of sorting a whole top-K.
import { topK } from './topK';

// Above this many entries per wanted one, a top-K scan (which keeps only `limit` entries) beats building a heap
// of every eligible entry.
const HEAP_BUILD_RATIO = 8;

/**
 * A function returning the next index of `topK(scores, limit, skip)`'s order on each call, then -1. The same
 * entries in the same order, so a caller may switch between the two freely.
 */
export function rankedStream(scores: Float32Array, limit: number, skip?: (i: number) => boolean): () => number {
  if (scores.length > HEAP_BUILD_RATIO * limit) {
    const { indices } = topK(scores, limit, skip);
    let k = 0;
    return () => (k < indices.length ? indices[k++] : -1);
  }
  const idx = new Int32Array(scores.length);
  const val = new Float32Array(scores.length);
  let size = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > -Infinity)) continue; // also rejects NaN, as topK does
    if (skip !== undefined && skip(i)) continue;
    idx[size] = i;
    val[size++] = s;
  }
  // Max-heap: a parent ranks before its children.
  const before = (a: number, b: number) => val[a] > val[b] || (val[a] === val[b] && idx[a] < idx[b]);
  const siftDown = (pos: number) => {
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= size) return;
      const c = l + 1 < size && before(l + 1, l) ? l + 1 : l;
      if (!before(c, pos)) return;
      const ti = idx[pos];
      const tv = val[pos];
      idx[pos] = idx[c];
      val[pos] = val[c];
      idx[c] = ti;
      val[c] = tv;
      pos = c;
    }
  };
  for (let p = (size >> 1) - 1; p >= 0; p--) siftDown(p);
  let left = Math.min(limit, size);
  return () => {
    if (left === 0) return -1;
    left--;
    const top = idx[0];
    size--;
    idx[0] = idx[size];
    val[0] = val[size];
    siftDown(0);
    return top;
  };
}
