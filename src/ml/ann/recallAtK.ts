// recall@k of an approximate index against exact search: the figure the approximate index is tuned and judged by.
import type { ItemVectorIndex } from './itemVectorIndex';

/**
 * Mean share of the exact top-k that the approximate index also returns (recall@k), over `queries`
 * (each dim floats, concatenated).
 */
export function recallAtK(approx: ItemVectorIndex, exact: ItemVectorIndex, queries: Float32Array, dim: number, k: number): number {
  const n = queries.length / dim;
  if (n === 0) return NaN;
  let sum = 0;
  for (let q = 0; q < n; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const truth = exact.search(query, k).indices;
    const got = new Set(approx.search(query, k).indices);
    let hits = 0;
    for (const i of truth) if (got.has(i)) hits++;
    sum += truth.length ? hits / truth.length : 1;
  }
  return sum / n;
}
