// The fusion strategies a fusion version can name in params.strategy, and how each turns trained components
// into the components a ServingModel fuses. Weighted and best-component fuse min-max normalised scores with
// weights; RRF first replaces each component's scores by reciprocal ranks, so its weights act on ranks.
import type { Recommender, ScoreContext } from '../../ml/recommender';
import type { UserHistory } from '../../ml/interactions';
import { topK } from '../../ml/topK';
import type { ServingComponent, ServingModel } from './servingModel';
import type { SwapHooks } from './activeModel';
import type { ModelVersionStore } from './modelVersionStore';

export const FUSION_STRATEGIES = ['weighted', 'rrf', 'best_component'] as const;
export type FusionStrategyName = (typeof FUSION_STRATEGIES)[number];

/** Starting weights of a fitted fusion, and the weights used when nothing can be fitted: neighbours lead, popularity breaks ties. */
export const DEFAULT_FUSION_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({ itemknn: 1, seq: 1, mf: 0.5, content: 0.3, pop: 0.15 });

/** The usual RRF constant: a rank-r item adds weight / (k + r + 1); a fitted fusion stores its own k as params.rrfK. */
export const RRF_K = 60;
/** Only this many items per component get a rank score; deeper ranks add nothing worth sorting for. */
export const RRF_DEPTH = 1000;

export function isFusionStrategy(s: unknown): s is FusionStrategyName {
  return typeof s === 'string' && (FUSION_STRATEGIES as readonly string[]).includes(s);
}

/**
 * Wraps a component so its scores become reciprocal ranks: 1 / (k + rank + 1) for its top RRF_DEPTH items,
 * 0 below. ServingModel's min-max normalisation then scales every component by the same factor (k + 1), so the
 * fused order is the weighted RRF order (exactly so for components with more than RRF_DEPTH items).
 */
export class ReciprocalRankScores implements Recommender {
  readonly kind: Recommender['kind'];

  constructor(
    private readonly inner: Recommender,
    private readonly k = RRF_K,
  ) {
    this.kind = inner.kind;
  }

  get numItems(): number {
    return this.inner.numItems;
  }

  fit(): Promise<void> {
    return Promise.reject(new Error('a reciprocal-rank view is built from a trained model; it is not trained itself'));
  }

  scoreUser(history: UserHistory, out: Float32Array, ctx?: ScoreContext): void {
    this.inner.scoreUser(history, out, ctx);
    this.toRanks(out);
  }

  similarItems(item: number, out: Float32Array): void {
    if (!this.inner.similarItems) {
      out.fill(-Infinity);
      return;
    }
    this.inner.similarItems(item, out);
    this.toRanks(out);
  }

  save(): never {
    throw new Error('a reciprocal-rank view is not saved; save the model it wraps');
  }

  dispose(): void {
    this.inner.dispose();
  }

  private toRanks(out: Float32Array): void {
    const top = topK(out, Math.min(RRF_DEPTH, out.length));
    out.fill(0);
    for (let r = 0; r < top.indices.length; r++) out[top.indices[r]] = 1 / (this.k + r + 1);
  }
}

/** How a fusion version combines its components, as stored in its params. */
export interface FusionSpec {
  strategy: string;
  rrfK?: number;
}

export function fusionSpecOf(params: Record<string, unknown> | null | undefined): FusionSpec {
  const strategy = typeof params?.strategy === 'string' ? params.strategy : 'weighted';
  const k = params?.rrfK;
  return typeof k === 'number' && k >= 0 ? { strategy, rrfK: k } : { strategy };
}

/**
 * The components a ServingModel should fuse for a spec: unchanged for weighted and best-component (their
 * difference is only in the weights), rank views for RRF. Disposing a rank view disposes its model.
 */
export function componentsForStrategy(spec: FusionSpec | string | undefined, components: ServingComponent[]): ServingComponent[] {
  const { strategy, rrfK } = typeof spec === 'object' ? spec : { strategy: spec, rrfK: undefined };
  if (strategy !== 'rrf') return components;
  return components.map((c) => ({ ...c, model: new ReciprocalRankScores(c.model, rrfK) }));
}

/**
 * ActiveModel loads a fusion's components with their weights but not its strategy; this swap hook applies the
 * strategy before the version is served, replacing each loaded component's model by its rank view in place
 * (nothing scores with the model before prepare() returns). It reads the version once per swap, not per request.
 * Calling componentsForStrategy in ActiveModel.load would make it unnecessary.
 */
export class FusionStrategyHook implements SwapHooks {
  constructor(private readonly versions: Pick<ModelVersionStore, 'get'>) {}

  async prepare(model: ServingModel): Promise<void> {
    const version = await this.versions.get(model.versionId);
    if (version?.kind !== 'fusion') return;
    const spec = fusionSpecOf(version.params);
    if (spec.strategy !== 'rrf') return;
    for (const c of model.components as ServingComponent[]) {
      if (!(c.model instanceof ReciprocalRankScores)) c.model = new ReciprocalRankScores(c.model, spec.rrfK);
    }
  }

  retire(): void {}
}
