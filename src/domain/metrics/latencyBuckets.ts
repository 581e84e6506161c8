// Fixed, geometrically spaced latency buckets. Percentiles cannot be averaged across processes or seconds,
// but bucket counts can be summed: every process counts into the same buckets and p50/p95/p99 are read from
// the merged counts, within one bucket's width (±12%).

const FIRST_BOUND_MS = 0.25;
const GROWTH = 1.25;
const BUCKETS = 56; // 0.25 ms .. about 60 s; the last bucket also takes anything slower

/** Upper bound (ms) of each bucket; the last is Infinity. */
export const BUCKET_BOUNDS_MS: readonly number[] = Array.from({ length: BUCKETS }, (_, i) => (i === BUCKETS - 1 ? Infinity : FIRST_BOUND_MS * GROWTH ** i));

export function bucketOf(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  const i = Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(GROWTH) - 1e-9);
  return Math.min(i, BUCKETS - 1);
}

/**
 * The q-quantile (0..1) of merged bucket counts (index -> count), interpolated linearly inside its bucket;
 * null without observations.
 */
export function quantileOf(counts: ReadonlyMap<number, number>, q: number): number | null {
  let total = 0;
  for (const c of counts.values()) total += c;
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const c = counts.get(i) ?? 0;
    if (!c) continue;
    if (seen + c >= rank) {
      const lower = i === 0 ? 0 : BUCKET_BOUNDS_MS[i - 1];
      // The open last bucket has no upper bound: report its lower bound rather than invent a value.
      const upper = i === BUCKETS - 1 ? lower : BUCKET_BOUNDS_MS[i];
      return lower + (upper - lower) * Math.min(1, Math.max(0, (rank - seen) / c));
    }
    seen += c;
  }
  return BUCKET_BOUNDS_MS[BUCKETS - 2];
}
