// Reciprocal rank fusion: sum over components of w_c / (k + rank_c). Scale-free, so it needs no
// normalisation; the weights start equal and are refined on validation like the weighted strategy.
import { examplesNdcg, type CandidateSet, type FusionExample, type FusionStrategy } from './fusionStrategy';

const WEIGHT_GRID = [0, 0.25, 0.5, 1, 2, 4];
const K_GRID = [5, 20, 60];

export interface ReciprocalRankFusionState {
  k: number;
  weights: number[];
}

export class ReciprocalRankFusion implements FusionStrategy {
  readonly name = 'rrf' as const;

  constructor(
    private k = 60,
    private weights: number[] = [],
  ) {}

  fuse(set: CandidateSet, out: Float32Array): void {
    const n = set.size;
    for (let j = 0; j < n; j++) out[j] = 0;
    for (let c = 0; c < set.components; c++) {
      const w = this.weights[c] ?? 1;
      if (w === 0) continue;
      // Ranks are 1-based in the usual formula.
      for (let j = 0; j < n; j++) out[j] += w / (this.k + set.ranks[c * n + j] + 1);
    }
  }

  fit(examples: FusionExample[]): void {
    const components = examples[0]?.set.components ?? 0;
    if (components === 0) return;
    const score = () => examplesNdcg(examples, (s, o) => this.fuse(s, o));
    this.weights = new Array<number>(components).fill(1);
    let best = -1;
    let bestK = this.k;
    for (const k of K_GRID) {
      this.k = k;
      const ndcg = score();
      if (ndcg > best) {
        best = ndcg;
        bestK = k;
      }
    }
    this.k = bestK;
    for (let round = 0; round < 2; round++) {
      let improved = false;
      for (let c = 0; c < components; c++) {
        const current = this.weights[c];
        let bestValue = current;
        for (const value of WEIGHT_GRID) {
          if (value === current) continue;
          this.weights[c] = value;
          const ndcg = score();
          if (ndcg > best + 1e-6) {
            best = ndcg;
            bestValue = value;
          }
        }
        this.weights[c] = bestValue;
        if (bestValue !== current) improved = true;
      }
      if (!improved) break;
    }
  }

  state(): ReciprocalRankFusionState {
    return { k: this.k, weights: [...this.weights] };
  }
}

export function createReciprocalRankFusion(state?: unknown): ReciprocalRankFusion {
  const s = state as Partial<ReciprocalRankFusionState> | undefined;
  return new ReciprocalRankFusion(typeof s?.k === 'number' ? s.k : 60, Array.isArray(s?.weights) ? s.weights.map(Number) : []);
}
