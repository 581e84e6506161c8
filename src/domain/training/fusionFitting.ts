// Fits a fusion the way it will be served: src/ml/fusion chooses between weighted and RRF on validation and fits
// their weights (coordinate ascent on NDCG@10), but over candidate sets built from ServingModel's own per-component
// scores (min-max normalised over the served vocabulary), so the fitted weights mean the same thing when served.
import { historyOf } from '../../ml/interactions';
import type { LeaveLastOutSplit } from '../../ml/evaluation/leaveLastOutSplit';
import { sampleIndices, YIELD_EVERY_USERS } from '../../ml/evaluation/evaluateModel';
import { yieldToEventLoop } from '../../ml/training/trainingLoop';
import { buildCandidateSet, type FusionExample } from '../../ml/fusion/fusionStrategy';
import { selectFusionStrategy, type FusionValidationReport } from '../../ml/fusion/fusionSelection';
import type { ServingComponent } from '../models/servingModel';
import { RRF_K } from '../models/fusionStrategy';
import { ServedModelOnSplit, sampleSeed, servingModelOf } from './servedEvaluation';

/** Per component, how deep its own ranking is kept as fusion candidates. */
const CANDIDATES = 100;

/** The strategies ServingModel can serve (stacking has no served form yet). */
export type ServedFusionStrategy = 'weighted' | 'rrf';

export interface FittedFusion {
  strategy: ServedFusionStrategy;
  /** One weight per component, in the order given. */
  weights: number[];
  /** RRF's rank offset, when the strategy is RRF. */
  rrfK: number;
  /** src/ml/fusion's comparison on held-out validation users: each component and each strategy's NDCG@10. */
  report: FusionValidationReport;
}

export async function fitFusion(
  components: ServingComponent[],
  split: LeaveLastOutSplit,
  opts: { maxUsers?: number; strategies?: ServedFusionStrategy[]; onProgress?: (fraction: number) => void } = {},
): Promise<FittedFusion> {
  const examples = await servedExamples(components, split, opts.maxUsers, opts.onProgress);
  const { strategy, report } = selectFusionStrategy(
    examples,
    components.map((c) => c.kind),
    { strategies: opts.strategies ?? ['weighted', 'rrf'], seed: sampleSeed() },
  );
  const state = strategy.state() as { weights?: number[]; k?: number };
  const weights = components.map((_, k) => state.weights?.[k] ?? 1);
  return { strategy: strategy.name as ServedFusionStrategy, weights, rrfK: state.k ?? RRF_K, report };
}

/**
 * Validation users' candidate sets from the served per-component scores. buildCandidateSet standardises
 * scores; here each `z` is replaced by the served score itself, since that is what ServingModel weighs.
 */
async function servedExamples(components: ServingComponent[], split: LeaveLastOutSplit, maxUsers: number | undefined, onProgress?: (fraction: number) => void): Promise<FusionExample[]> {
  const serving = servingModelOf('fusion-fit', 'weighted', components);
  const view = new ServedModelOnSplit(serving, split.all.itemIds);
  const rows = sampleIndices(split.validation.users.length, maxUsers, sampleSeed());
  const exclude = new Uint8Array(serving.numItems);
  const marker = new Int32Array(serving.numItems);
  const examples: FusionExample[] = [];
  const every = Math.max(1, Math.floor(rows.length / 50));
  for (let r = 0; r < rows.length; r++) {
    // Thousands of users scored over the catalogue, in the worker that also applies online updates.
    if (r % YIELD_EVERY_USERS === YIELD_EVERY_USERS - 1) await yieldToEventLoop();
    const row = rows[r];
    const history = view.servingHistory(historyOf(split.validationTrain, split.validation.users[row]));
    const now = history.times.length ? history.times[history.times.length - 1] : undefined;
    const { parts } = serving.score(history, { now });
    for (const i of history.items) exclude[i] = 1;
    const set = buildCandidateSet(parts, exclude, CANDIDATES, history.items.length, now, marker);
    for (const i of history.items) exclude[i] = 0;
    for (let c = 0; c < set.components; c++) {
      for (let j = 0; j < set.size; j++) set.z[c * set.size + j] = parts[c][set.items[j]];
    }
    const target = view.servingIndex(split.validation.targets[row]);
    examples.push({ set, target: target >= 0 ? set.items.indexOf(target) : -1 });
    if (onProgress && r % every === 0) onProgress(r / rows.length);
  }
  onProgress?.(1);
  return examples;
}
