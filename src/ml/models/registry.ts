// Maps a model kind to how it is created and how its saved artefacts are loaded, so the trainer,
// the evaluation and the server never name a model class directly.
import type { ModelArtifacts, ModelKind, Recommender } from '../recommender';
import { FusedRecommender, loadFusedRecommender, type FusionComponent } from '../fusion/fusedRecommender';
import { createFusionStrategy } from '../fusion/fusionSelection';
import type { FusionStrategyName } from '../fusion/fusionStrategy';
import type { Params } from './modelParams';
import { ContentRecommender, loadContent } from './content';
import { ItemKnnRecommender, loadItemKnn } from './itemKnn';
import { MatrixFactorization, loadMatrixFactorization } from './matrixFactorization';
import { PopularityRecommender, loadPopularity } from './popularity';
import { SequentialRecommender, loadSequentialRecommender } from './sequential';

export interface RecommenderFactory {
  create(params?: Params): Recommender;
  load(artifacts: ModelArtifacts): Recommender;
}

/** Components a fusion uses when its params name none: every registered kind except fusion itself. */
const DEFAULT_FUSION_COMPONENTS: readonly ModelKind[] = ['pop', 'itemknn', 'mf', 'content', 'seq'];

export const RECOMMENDERS: Partial<Record<ModelKind, RecommenderFactory>> = {
  pop: { create: (p) => new PopularityRecommender(p), load: loadPopularity },
  itemknn: { create: (p) => new ItemKnnRecommender(p), load: loadItemKnn },
  content: { create: (p) => new ContentRecommender(p), load: loadContent },
  mf: { create: (p) => new MatrixFactorization(p), load: loadMatrixFactorization },
  seq: { create: (p) => new SequentialRecommender(p), load: loadSequentialRecommender },
  fusion: { create: (p) => createFusion(p), load: (artifacts) => loadFusedRecommender(artifacts, loadRecommender) },
};

export function isRegistered(kind: string): kind is ModelKind {
  return Object.prototype.hasOwnProperty.call(RECOMMENDERS, kind) && RECOMMENDERS[kind as ModelKind] !== undefined;
}

export function registeredKinds(): ModelKind[] {
  return (Object.keys(RECOMMENDERS) as ModelKind[]).filter((k) => RECOMMENDERS[k] !== undefined);
}

function factory(kind: string): RecommenderFactory {
  if (!isRegistered(kind)) throw new Error(`unknown model kind "${kind}"; known: ${registeredKinds().join(', ')}`);
  return RECOMMENDERS[kind]!;
}

export function createRecommender(kind: string, params?: Params): Recommender {
  return factory(kind).create(params);
}

export function loadRecommender(kind: string, artifacts: ModelArtifacts): Recommender {
  return factory(kind).load(artifacts);
}

/**
 * A fusion from params: `components` (kinds, default every registered non-fusion kind),
 * `componentParams` (one record per component), `strategy` + `strategyState` (a strategy fitted
 * earlier, e.g. from tunedParams()), `strategies` (compared on validation), `perComponent`.
 */
function createFusion(params: Params = {}): FusedRecommender {
  const kinds = Array.isArray(params.components)
    ? (params.components as string[])
    : DEFAULT_FUSION_COMPONENTS.filter((k) => isRegistered(k));
  const names = Array.isArray(params.componentNames) ? (params.componentNames as string[]) : kinds;
  const componentParams = Array.isArray(params.componentParams) ? (params.componentParams as Params[]) : [];
  const components: FusionComponent[] = kinds.map((kind, k) => {
    if (kind === 'fusion') throw new Error('a fusion cannot contain a fusion');
    return { name: names[k] ?? kind, model: createRecommender(kind, componentParams[k]) };
  });
  const strategyName = (typeof params.strategy === 'string' ? params.strategy : 'weighted') as FusionStrategyName;
  const strategies = Array.isArray(params.strategies) ? (params.strategies as FusionStrategyName[]) : undefined;
  return new FusedRecommender(components, createFusionStrategy(strategyName, params.strategyState), {
    strategies,
    perComponent: typeof params.perComponent === 'number' ? params.perComponent : undefined,
  });
}
