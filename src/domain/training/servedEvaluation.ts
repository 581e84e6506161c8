// Scores a model exactly as it would be served (a ServingModel: components, strategy, weights, vocabularies)
// on a leave-last-out split, through the same evaluateModel that `npm run eval` uses. Candidates and the
// active version are all scored this way on the same targets and users, so their numbers are comparable.
import type { UserHistory } from '../../ml/interactions';
import type { Recommender, ScoreContext } from '../../ml/recommender';
import type { LeaveLastOutSplit } from '../../ml/evaluation/leaveLastOutSplit';
import { evaluateModel, type ModelEvaluation } from '../../ml/evaluation/evaluateModel';
import { ServingModel, type ServingComponent } from '../models/servingModel';
import { componentsForStrategy, type FusionSpec } from '../models/fusionStrategy';

/** Metrics@K on held-out targets, as stored in a model version's `metrics`. */
export interface HeldOutMetrics {
  k: number;
  users: number;
  ndcg: number;
  hitRate: number;
  mrr: number;
  coverage: number;
}

export const METRIC_K = 10;
/** One seed for every sample of a retrain, so candidate and active are scored on the same users. */
const SAMPLE_SEED = 7;

/**
 * A ServingModel seen through the split's item vocabulary. Like serving, it scores from the user's history
 * alone (no trained user index) and cannot recommend items it was never trained on (they score -Infinity).
 */
export class ServedModelOnSplit implements Recommender {
  readonly kind = 'fusion' as const;
  /** split item index -> serving index, -1 when the served model does not know the item. */
  private readonly toServing: Int32Array;

  constructor(
    private readonly serving: ServingModel,
    itemIds: readonly string[],
  ) {
    this.toServing = Int32Array.from(itemIds, (id) => serving.index.get(id) ?? -1);
  }

  get numItems(): number {
    return this.toServing.length;
  }

  fit(): Promise<void> {
    return Promise.reject(new Error('an evaluation view is not trained'));
  }

  /** The user's history in serving indices, dropping items the served model does not know. */
  servingHistory(history: UserHistory): UserHistory {
    const keep: number[] = [];
    for (let j = 0; j < history.items.length; j++) if (this.toServing[history.items[j]] >= 0) keep.push(j);
    return {
      items: Int32Array.from(keep, (j) => this.toServing[history.items[j]]),
      times: Float64Array.from(keep, (j) => history.times[j]),
      types: Uint8Array.from(keep, (j) => history.types[j]),
      weights: Float32Array.from(keep, (j) => history.weights[j]),
    };
  }

  servingIndex(splitItem: number): number {
    return this.toServing[splitItem];
  }

  scoreUser(history: UserHistory, out: Float32Array, ctx?: ScoreContext): void {
    const { fused } = this.serving.score(this.servingHistory(history), { now: ctx?.now });
    for (let i = 0; i < out.length; i++) {
      const j = this.toServing[i];
      out[i] = j >= 0 ? fused[j] : -Infinity;
    }
  }

  save(): never {
    throw new Error('an evaluation view is not saved');
  }

  /** The components belong to the caller, who may share them between several views. */
  dispose(): void {}
}

/** A ServingModel over components the caller owns; never dispose it (dispose the components instead). */
export function servingModelOf(label: string, spec: FusionSpec | string, components: ServingComponent[]): ServingModel {
  return new ServingModel(0, label, componentsForStrategy(spec, components));
}

export interface SplitScoringOptions {
  /** Seeded sample of at most this many target users; undefined = all. */
  maxUsers?: number;
  onProgress?: (fraction: number) => void;
}

/** Held-out metrics of a served configuration on the split's test targets (the last event of each user). */
export async function evaluateServed(serving: ServingModel, split: LeaveLastOutSplit, opts: SplitScoringOptions = {}): Promise<HeldOutMetrics> {
  const view = new ServedModelOnSplit(serving, split.all.itemIds);
  return toMetrics(await evaluateModel(view, split, METRIC_K, { stage: 'test', maxUsers: opts.maxUsers, seed: SAMPLE_SEED, onProgress: opts.onProgress }));
}

export function sampleSeed(): number {
  return SAMPLE_SEED;
}

function toMetrics(e: ModelEvaluation): HeldOutMetrics {
  return { k: e.k, users: e.users, ndcg: e.ndcg, hitRate: e.hitRate, mrr: e.mrr, coverage: e.coverage };
}

/** Rows a split evaluates: eligible users (3+ events). Zero means there is nothing to hold out yet. */
export function heldOutUsers(split: LeaveLastOutSplit): number {
  return split.test.users.length;
}

