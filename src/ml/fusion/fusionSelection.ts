// Fits fusion on validation: builds each validation user's candidate set from the trained components, fits every
// strategy on one half of the users and compares them, and each component alone, on the other half.
import { historyOf, type Interactions } from '../interactions';
import { createRng } from '../random';
import type { Recommender } from '../recommender';
import { buildCandidateSet, componentScorer, examplesNdcg, type FusionExample, type FusionStrategy, type FusionStrategyName } from './fusionStrategy';
import { createReciprocalRankFusion } from './reciprocalRankFusion';
import { createStackingFusion } from './stackingFusion';
import { createWeightedFusion } from './weightedFusion';

export const FUSION_STRATEGIES: readonly FusionStrategyName[] = ['weighted', 'rrf', 'stacking'];

export function createFusionStrategy(name: FusionStrategyName, state?: unknown): FusionStrategy {
  switch (name) {
    case 'weighted':
      return createWeightedFusion(state);
    case 'rrf':
      return createReciprocalRankFusion(state);
    case 'stacking':
      return createStackingFusion(state);
    default:
      throw new Error(`unknown fusion strategy "${String(name)}"`);
  }
}

/** Held-out validation NDCG@10 of each component and each strategy, and the decision taken. */
export interface FusionValidationReport {
  /** Validation users whose candidate sets were built, and how many of them scored the comparison. */
  users: number;
  holdoutUsers: number;
  components: Record<string, number>;
  strategies: Partial<Record<FusionStrategyName, number>>;
  chosen: FusionStrategyName;
  bestComponent: string;
  /** Whether the chosen strategy beat the best component on held-out validation users; if not, keep that component. */
  beatsBestComponent: boolean;
}

export interface CollectOptions {
  maxUsers?: number;
  perComponent?: number;
  seed?: number;
}

/** Scores every component for (a sample of) the validation users and builds their candidate sets. */
export function collectFusionExamples(
  components: Recommender[],
  data: Interactions,
  validation: { users: Int32Array; targets: Int32Array },
  opts: CollectOptions = {},
): FusionExample[] {
  const numItems = Math.min(...components.map((c) => c.numItems));
  const perComponent = opts.perComponent ?? 50;
  const rng = createRng(opts.seed ?? 3);
  const rows = Array.from(validation.users, (_, i) => i);
  const maxUsers = opts.maxUsers ?? 4000;
  for (let i = 0; i < Math.min(maxUsers, rows.length); i++) {
    const j = i + Math.floor(rng() * (rows.length - i));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  rows.length = Math.min(maxUsers, rows.length);
  rows.sort((a, b) => a - b);
  const scores = components.map(() => new Float32Array(numItems));
  const exclude = new Uint8Array(numItems);
  const marker = new Int32Array(numItems);
  const examples: FusionExample[] = [];
  for (const r of rows) {
    const u = validation.users[r];
    const history = historyOf(data, u);
    const now = history.times.length > 0 ? history.times[history.times.length - 1] : undefined;
    components.forEach((c, k) => c.scoreUser(history, scores[k], { userIndex: u, now }));
    for (let h = 0; h < history.items.length; h++) if (history.items[h] < numItems) exclude[history.items[h]] = 1;
    const set = buildCandidateSet(scores, exclude, perComponent, history.items.length, now, marker);
    for (let h = 0; h < history.items.length; h++) if (history.items[h] < numItems) exclude[history.items[h]] = 0;
    const target = validation.targets[r];
    let lo = 0;
    let hi = set.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (set.items[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    examples.push({ set, target: lo < set.size && set.items[lo] === target ? lo : -1 });
  }
  return examples;
}

/**
 * Fits each strategy on a seeded half of the examples and scores it on the other half beside each
 * component alone; the best strategy is then refitted on all examples.
 */
export function selectFusionStrategy(
  examples: FusionExample[],
  componentNames: string[],
  opts: { strategies?: readonly FusionStrategyName[]; seed?: number } = {},
): { strategy: FusionStrategy; report: FusionValidationReport } {
  const strategies = opts.strategies ?? FUSION_STRATEGIES;
  const rng = createRng(opts.seed ?? 5);
  const shuffled = [...examples];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const half = Math.floor(shuffled.length / 2);
  const fitPart = shuffled.slice(0, half);
  const holdout = shuffled.slice(half);

  const components: Record<string, number> = {};
  let bestComponent = componentNames[0] ?? '';
  let bestComponentNdcg = -1;
  componentNames.forEach((name, c) => {
    const ndcg = examplesNdcg(holdout, componentScorer(c));
    components[name] = ndcg;
    if (ndcg > bestComponentNdcg) {
      bestComponentNdcg = ndcg;
      bestComponent = name;
    }
  });

  const results: Partial<Record<FusionStrategyName, number>> = {};
  let chosen = strategies[0];
  let chosenNdcg = -1;
  for (const name of strategies) {
    const strategy = createFusionStrategy(name);
    strategy.fit(fitPart, { seed: opts.seed });
    const ndcg = examplesNdcg(holdout, (s, o) => strategy.fuse(s, o));
    results[name] = ndcg;
    if (ndcg > chosenNdcg) {
      chosenNdcg = ndcg;
      chosen = name;
    }
  }
  const strategy = createFusionStrategy(chosen);
  strategy.fit(examples, { seed: opts.seed });
  return {
    strategy,
    report: {
      users: examples.length,
      holdoutUsers: holdout.length,
      components,
      strategies: results,
      chosen,
      bestComponent,
      beatsBestComponent: chosenNdcg > bestComponentNdcg,
    },
  };
}
