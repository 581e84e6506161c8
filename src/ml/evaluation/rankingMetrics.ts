// Ranking metrics for one held-out target per user: HR@K, NDCG@K, MRR@K, and catalogue coverage of the top-K lists.
// With a single relevant item the ideal DCG is 1, so NDCG@K is 1/log2(rank+2) for a hit at 0-based `rank`.

export interface RankingMetrics {
  k: number;
  /** Users evaluated. */
  users: number;
  hitRate: number;
  ndcg: number;
  mrr: number;
  /** Distinct items appearing in any top-K list, over the catalogue size. */
  coverage: number;
}

/** 0-based position of `target` among the first `limit` entries of `list`, or -1 when absent. */
export function rankOf(list: ArrayLike<number>, target: number, limit = list.length): number {
  const n = Math.min(limit, list.length);
  for (let i = 0; i < n; i++) if (list[i] === target) return i;
  return -1;
}

export function hitAtK(rank: number, k: number): number {
  return rank >= 0 && rank < k ? 1 : 0;
}

export function ndcgAtK(rank: number, k: number): number {
  return rank >= 0 && rank < k ? 1 / Math.log2(rank + 2) : 0;
}

export function reciprocalRankAtK(rank: number, k: number): number {
  return rank >= 0 && rank < k ? 1 / (rank + 1) : 0;
}

/** Sums per-user metrics and the set of recommended items; `result()` averages. */
export class RankingAccumulator {
  private users = 0;
  private hits = 0;
  private ndcgSum = 0;
  private mrrSum = 0;
  private readonly seen: Uint8Array;
  private distinct = 0;

  constructor(
    readonly k: number,
    readonly numItems: number,
  ) {
    this.seen = new Uint8Array(numItems);
  }

  /** Records one user's ranked list (best first; only the first k entries count) and target item. */
  add(list: ArrayLike<number>, target: number): number {
    const k = this.k;
    const n = Math.min(k, list.length);
    for (let i = 0; i < n; i++) {
      const item = list[i];
      if (this.seen[item] === 0) {
        this.seen[item] = 1;
        this.distinct++;
      }
    }
    const rank = rankOf(list, target, n);
    this.users++;
    this.hits += hitAtK(rank, k);
    this.ndcgSum += ndcgAtK(rank, k);
    this.mrrSum += reciprocalRankAtK(rank, k);
    return rank;
  }

  result(): RankingMetrics {
    const u = Math.max(this.users, 1);
    return {
      k: this.k,
      users: this.users,
      hitRate: this.hits / u,
      ndcg: this.ndcgSum / u,
      mrr: this.mrrSum / u,
      coverage: this.numItems === 0 ? 0 : this.distinct / this.numItems,
    };
  }
}
