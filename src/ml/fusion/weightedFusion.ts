// Weighted fusion: a weighted sum of each component's per-user z-scored candidate scores, the weights
// fitted by coordinate ascent on validation NDCG@10 starting from the best single component.
import { componentScorer, examplesNdcg, type CandidateSet, type FusionExample, type FusionStrategy } from './fusionStrategy';

const WEIGHT_GRID = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];

export interface WeightedFusionState {
  weights: number[];
}

export class WeightedFusion implements FusionStrategy {
  readonly name = 'weighted' as const;

  constructor(private weights: number[] = []) {}

  fuse(set: CandidateSet, out: Float32Array): void {
    const n = set.size;
    for (let j = 0; j < n; j++) out[j] = 0;
    for (let c = 0; c < set.components; c++) {
      const w = this.weights[c] ?? 1;
      if (w === 0) continue;
      for (let j = 0; j < n; j++) out[j] += w * set.z[c * n + j];
    }
  }

  fit(examples: FusionExample[]): void {
    const components = examples[0]?.set.components ?? this.weights.length;
    if (components === 0) return;
    // One-hot on the best component is a point of the search, so the fit never ends below it.
    let anchor = 0;
    let best = -1;
    for (let c = 0; c < components; c++) {
      const ndcg = examplesNdcg(examples, componentScorer(c));
      if (ndcg > best) {
        best = ndcg;
        anchor = c;
      }
    }
    const weights: number[] = Array.from({ length: components }, (_, c) => (c === anchor ? 1 : 0));
    this.weights = weights;
    best = examplesNdcg(examples, (s, o) => this.fuse(s, o));
    for (let round = 0; round < 4; round++) {
      let improved = false;
      for (let c = 0; c < components; c++) {
        if (c === anchor) continue;
        const current = weights[c];
        let bestValue = current;
        for (const value of WEIGHT_GRID) {
          if (value === current) continue;
          weights[c] = value;
          const ndcg = examplesNdcg(examples, (s, o) => this.fuse(s, o));
          if (ndcg > best + 1e-6) {
            best = ndcg;
            bestValue = value;
          }
        }
        weights[c] = bestValue;
        if (bestValue !== current) improved = true;
      }
      if (!improved) break;
    }
  }

  state(): WeightedFusionState {
    return { weights: [...this.weights] };
  }
}

export function createWeightedFusion(state?: unknown): WeightedFusion {
  const weights = (state as WeightedFusionState | undefined)?.weights;
  return new WeightedFusion(Array.isArray(weights) ? weights.map(Number) : []);
}
