// Stacking fusion: logistic regression over each component's z-score and reciprocal rank, crossed with context
// (activity level, time of day, weekend), trained on validation targets against sampled candidate negatives.
// Cold (short history) and warm users get separate weights, both shrunk toward a shared fit.
import { createRng } from '../random';
import type { CandidateSet, FusionExample, FusionStrategy } from './fusionStrategy';

/** Context features: constant, activity level, hour of day (sin, cos), weekend. */
const CONTEXT_FEATURES = 5;

export interface StackingFusionState {
  components: number;
  coldThreshold: number;
  cold: number[];
  warm: number[];
}

export interface StackingOptions {
  /** Users with at most this many history events use the cold weights. */
  coldThreshold?: number;
  negativesPerPositive?: number;
  l2?: number;
  iterations?: number;
}

function contextOf(set: CandidateSet, out: Float64Array): void {
  out[0] = 1;
  out[1] = Math.min(1, Math.log1p(set.historyLength) / Math.log(101));
  if (set.now !== undefined && Number.isFinite(set.now)) {
    const date = new Date(set.now * 1000);
    const hour = date.getUTCHours() + date.getUTCMinutes() / 60;
    out[2] = Math.sin((2 * Math.PI * hour) / 24);
    out[3] = Math.cos((2 * Math.PI * hour) / 24);
    const day = date.getUTCDay();
    out[4] = day === 0 || day === 6 ? 1 : 0;
  } else {
    out[2] = out[3] = out[4] = 0;
  }
}

/** Writes candidate j's feature vector (per component: z and 1/(1+rank), each crossed with the context) into x. */
function featuresOf(set: CandidateSet, j: number, ctx: Float64Array, x: Float64Array): void {
  const n = set.size;
  let f = 0;
  for (let c = 0; c < set.components; c++) {
    const z = set.z[c * n + j];
    const rr = 1 / (1 + set.ranks[c * n + j]);
    for (let g = 0; g < CONTEXT_FEATURES; g++) x[f++] = z * ctx[g];
    for (let g = 0; g < CONTEXT_FEATURES; g++) x[f++] = rr * ctx[g];
  }
  x[f] = 1; // intercept
}

/** Full-batch Adam on the L2-penalised logistic loss; the penalty pulls toward `prior`. */
function trainLogistic(x: Float64Array, y: Uint8Array, dim: number, prior: Float64Array, l2: number, iterations: number): Float64Array {
  const n = y.length;
  const w = Float64Array.from(prior);
  const m = new Float64Array(dim);
  const v = new Float64Array(dim);
  const grad = new Float64Array(dim);
  const lr = 0.05;
  for (let t = 1; t <= iterations; t++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * dim;
      for (let d = 0; d < dim; d++) s += w[d] * x[row + d];
      const err = 1 / (1 + Math.exp(-s)) - y[i];
      for (let d = 0; d < dim; d++) grad[d] += err * x[row + d];
    }
    for (let d = 0; d < dim; d++) {
      const g = grad[d] / Math.max(n, 1) + l2 * (w[d] - prior[d]);
      m[d] = 0.9 * m[d] + 0.1 * g;
      v[d] = 0.999 * v[d] + 0.001 * g * g;
      const mHat = m[d] / (1 - Math.pow(0.9, t));
      const vHat = v[d] / (1 - Math.pow(0.999, t));
      w[d] -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
  }
  return w;
}

export class StackingFusion implements FusionStrategy {
  readonly name = 'stacking' as const;
  private readonly ctx = new Float64Array(CONTEXT_FEATURES);
  private x = new Float64Array(0);

  constructor(
    private weights: { components: number; coldThreshold: number; cold: number[]; warm: number[] } = { components: 0, coldThreshold: 5, cold: [], warm: [] },
    private readonly options: StackingOptions = {},
  ) {}

  private dim(components: number): number {
    return components * 2 * CONTEXT_FEATURES + 1;
  }

  fuse(set: CandidateSet, out: Float32Array): void {
    const dim = this.dim(set.components);
    if (this.x.length !== dim) this.x = new Float64Array(dim);
    const w = set.historyLength <= this.weights.coldThreshold ? this.weights.cold : this.weights.warm;
    contextOf(set, this.ctx);
    for (let j = 0; j < set.size; j++) {
      if (w.length !== dim) {
        // Unfitted: plain sum of z-scores.
        let s = 0;
        for (let c = 0; c < set.components; c++) s += set.z[c * set.size + j];
        out[j] = s;
        continue;
      }
      featuresOf(set, j, this.ctx, this.x);
      let s = 0;
      for (let d = 0; d < dim; d++) s += w[d] * this.x[d];
      out[j] = s;
    }
  }

  fit(examples: FusionExample[], opts: { seed?: number } = {}): void {
    const withTarget = examples.filter((e) => e.target >= 0);
    const components = examples[0]?.set.components ?? 0;
    if (components === 0 || withTarget.length === 0) return;
    const coldThreshold = this.options.coldThreshold ?? 5;
    const negatives = this.options.negativesPerPositive ?? 10;
    const l2 = this.options.l2 ?? 1e-3;
    const iterations = this.options.iterations ?? 150;
    const dim = this.dim(components);
    const rng = createRng(opts.seed ?? 7);

    const build = (subset: FusionExample[]) => {
      const rows: number[] = [];
      const labels: number[] = [];
      const x = new Float64Array(dim);
      const ctx = new Float64Array(CONTEXT_FEATURES);
      const push = (set: CandidateSet, j: number, label: number) => {
        featuresOf(set, j, ctx, x);
        for (let d = 0; d < dim; d++) rows.push(x[d]);
        labels.push(label);
      };
      for (const { set, target } of subset) {
        contextOf(set, ctx);
        push(set, target, 1);
        const count = Math.min(negatives, set.size - 1);
        for (let s = 0; s < count; s++) {
          let j = Math.floor(rng() * (set.size - 1));
          if (j >= target) j++;
          push(set, j, 0);
        }
      }
      return { x: Float64Array.from(rows), y: Uint8Array.from(labels) };
    };

    const all = build(withTarget);
    const shared = trainLogistic(all.x, all.y, dim, new Float64Array(dim), l2, iterations);
    const group = (cold: boolean): number[] => {
      const subset = withTarget.filter((e) => (e.set.historyLength <= coldThreshold) === cold);
      // Too few positives to fit a separate model: use the shared one.
      if (subset.length < 50) return Array.from(shared);
      const data = build(subset);
      return Array.from(trainLogistic(data.x, data.y, dim, shared, Math.max(l2, 1e-2), iterations));
    };
    this.weights = { components, coldThreshold, cold: group(true), warm: group(false) };
  }

  state(): StackingFusionState {
    return { ...this.weights };
  }
}

export function createStackingFusion(state?: unknown, options?: StackingOptions): StackingFusion {
  const s = state as Partial<StackingFusionState> | undefined;
  if (!s || !Array.isArray(s.cold) || !Array.isArray(s.warm)) return new StackingFusion(undefined, options);
  return new StackingFusion(
    { components: Number(s.components ?? 0), coldThreshold: Number(s.coldThreshold ?? 5), cold: s.cold.map(Number), warm: s.warm.map(Number) },
    options,
  );
}
