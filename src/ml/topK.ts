// Top-K selection over a dense score array with a binary min-heap: O(n log k), no allocation per item.
// Serving calls this for every request, so it is a tight loop over typed arrays, never a tensor op.

export interface TopK {
  indices: Int32Array;
  scores: Float32Array;
}

/**
 * The `k` highest-scoring indices of `scores`, best first. Entries that are -Infinity or NaN,
 * or for which `skip(i)` is true, are never returned, so the result may be shorter than k.
 */
export function topK(scores: Float32Array, k: number, skip?: (i: number) => boolean): TopK {
  const heapIdx = new Int32Array(k);
  const heapVal = new Float32Array(k);
  let size = 0;
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (!(s > -Infinity)) continue; // also rejects NaN
    if (size === k && s <= heapVal[0]) continue;
    if (skip !== undefined && skip(i)) continue;
    if (size < k) {
      // sift up
      let pos = size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (heapVal[parent] <= s) break;
        heapVal[pos] = heapVal[parent];
        heapIdx[pos] = heapIdx[parent];
        pos = parent;
      }
      heapVal[pos] = s;
      heapIdx[pos] = i;
    } else {
      // replace root, sift down
      let pos = 0;
      for (;;) {
        const l = 2 * pos + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && heapVal[r] < heapVal[l] ? r : l;
        if (heapVal[c] >= s) break;
        heapVal[pos] = heapVal[c];
        heapIdx[pos] = heapIdx[c];
        pos = c;
      }
      heapVal[pos] = s;
      heapIdx[pos] = i;
    }
  }
  // Pop into descending order; ties keep a stable, index-ascending order for determinism.
  const order = Array.from({ length: size }, (_, j) => j).sort(
    (a, b) => heapVal[b] - heapVal[a] || heapIdx[a] - heapIdx[b],
  );
  const indices = new Int32Array(size);
  const out = new Float32Array(size);
  order.forEach((j, rank) => {
    indices[rank] = heapIdx[j];
    out[rank] = heapVal[j];
  });
  return { indices, scores: out };
}
