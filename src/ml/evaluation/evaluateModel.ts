// Scores any Recommender under the leave-last-out protocol: full ranking, history masked, top-K metrics.
// The retrain job reuses exactly this code to score a new model version, so it takes arrays and returns numbers.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import { historyOf } from '../interactions';
import { createRng } from '../random';
import type { FusedRecommender } from '../fusion/fusedRecommender';
import type { FitOptions, Recommender, ScoreContext } from '../recommender';
import { topK } from '../topK';
import type { EvaluationTargets, LeaveLastOutSplit } from './leaveLastOutSplit';
import { RankingAccumulator, type RankingMetrics } from './rankingMetrics';
import { yieldToEventLoop } from '../training/trainingLoop';

/** Users scored over the catalogue between two yields to the event loop (see forEachTarget). */
export const YIELD_EVERY_USERS = 50;

export interface EvaluateOptions {
  /** Which targets to score: 'test' (default) uses testTrain histories, 'validation' uses validationTrain. */
  stage?: 'test' | 'validation';
  /** Evaluate a seeded random subset of at most this many users (tuning loops); default: every eligible user. */
  maxUsers?: number;
  seed?: number;
  onProgress?: (fraction: number) => void;
}

export interface ModelEvaluation extends RankingMetrics {
  scoreSeconds: number;
}

/** Indices 0..n-1, or a seeded sample of `max` of them in ascending order. */
export function sampleIndices(n: number, max: number | undefined, seed: number): Int32Array {
  if (max === undefined || max >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = createRng(seed);
  const picked = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const tmp = picked[i];
    picked[i] = picked[j];
    picked[j] = tmp;
  }
  return picked.subarray(0, max).sort();
}

/**
 * Visits each (sampled) target: the user's history being their rows in `train` (everything before the target), and
 * the scoring context their training index and `now` = their last history event, so no information from the target
 * event leaks into scoring. Reports progress as it goes.
 */
async function forEachTarget(
  train: Interactions,
  targets: Pick<EvaluationTargets, 'users' | 'targets'>,
  opts: EvaluateOptions,
  visit: (history: UserHistory, ctx: ScoreContext, target: number) => void,
): Promise<void> {
  const rows = sampleIndices(targets.users.length, opts.maxUsers, opts.seed ?? 1);
  const progressEvery = Math.max(1, Math.floor(rows.length / 100));
  for (let r = 0; r < rows.length; r++) {
    // A retrain scores thousands of users over the whole catalogue in the worker that also applies online
    // updates: let them through every few users (a user costs up to a few ms at 100,000 items).
    if (r % YIELD_EVERY_USERS === YIELD_EVERY_USERS - 1) await yieldToEventLoop();
    const u = targets.users[rows[r]];
    const history = historyOf(train, u);
    visit(history, { userIndex: u, now: history.times.length > 0 ? history.times[history.times.length - 1] : undefined }, targets.targets[rows[r]]);
    if (opts.onProgress && r % progressEvery === 0) opts.onProgress(r / rows.length);
  }
  opts.onProgress?.(1);
}

/** The top k of `scores` with the history's items masked (they are not candidates under the protocol). */
function topUnseen(scores: Float32Array, history: UserHistory, k: number): Int32Array {
  for (let h = 0; h < history.items.length; h++) scores[history.items[h]] = -Infinity;
  return topK(scores, k).indices;
}

/** Evaluates `model` on `targets` (see forEachTarget for what each user's scoring sees). */
export async function evaluateOnTargets(
  model: Recommender,
  train: Interactions,
  targets: Pick<EvaluationTargets, 'users' | 'targets'>,
  k: number,
  opts: EvaluateOptions = {},
): Promise<ModelEvaluation> {
  const started = performance.now();
  const scores = new Float32Array(model.numItems);
  const acc = new RankingAccumulator(k, model.numItems);
  await forEachTarget(train, targets, opts, (history, ctx, target) => {
    model.scoreUser(history, scores, ctx);
    acc.add(topUnseen(scores, history, k), target);
  });
  return { ...acc.result(), scoreSeconds: (performance.now() - started) / 1000 };
}

/** The fusion and each of its components, evaluated in one pass (see evaluateFusionWithComponents). */
export interface FusionEvaluation {
  fusion: ModelEvaluation;
  /** By component name; each one's scoreSeconds is its own scoring time within the pass. */
  components: Map<string, ModelEvaluation>;
}

/**
 * Evaluates a fusion and its components on the same users in one pass: each component scores a user once, and
 * the fusion is computed from those scores. The same figures as evaluateOnTargets on each model, with the
 * components' scoring (most of an evaluation's time at a large catalogue) done once instead of twice.
 */
export async function evaluateFusionWithComponents(
  fused: FusedRecommender,
  train: Interactions,
  targets: Pick<EvaluationTargets, 'users' | 'targets'>,
  k: number,
  opts: EvaluateOptions = {},
): Promise<FusionEvaluation> {
  const started = performance.now();
  const numItems = fused.numItems;
  const components = fused.components;
  const scores = components.map(() => new Float32Array(numItems));
  const fusedScores = new Float32Array(numItems);
  const fusionAcc = new RankingAccumulator(k, numItems);
  const accs = components.map(() => new RankingAccumulator(k, numItems));
  const seconds = components.map(() => 0);
  await forEachTarget(train, targets, opts, (history, ctx, target) => {
    for (let c = 0; c < components.length; c++) {
      const t0 = performance.now();
      components[c].model.scoreUser(history, scores[c], ctx);
      seconds[c] += performance.now() - t0;
    }
    // The fusion reads the components' scores unmasked; each component's own ranking masks them afterwards.
    fused.fuseScores(history, scores, fusedScores, ctx);
    fusionAcc.add(topUnseen(fusedScores, history, k), target);
    for (let c = 0; c < components.length; c++) {
      const t0 = performance.now();
      accs[c].add(topUnseen(scores[c], history, k), target);
      seconds[c] += performance.now() - t0;
    }
  });
  return {
    fusion: { ...fusionAcc.result(), scoreSeconds: (performance.now() - started) / 1000 },
    components: new Map(components.map((c, i) => [c.name, { ...accs[i].result(), scoreSeconds: seconds[i] / 1000 }])),
  };
}

/** Evaluates a fitted model on the split's test targets (default) or validation targets. */
export function evaluateModel(model: Recommender, split: LeaveLastOutSplit, k = 10, opts: EvaluateOptions = {}): Promise<ModelEvaluation> {
  const validation = opts.stage === 'validation';
  return evaluateOnTargets(model, validation ? split.validationTrain : split.testTrain, validation ? split.validation : split.test, k, opts);
}

/** Peak resident set size, sampled on a timer and whenever `sample()` is called (e.g. from progress callbacks). */
export class PeakRssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  start(intervalMs = 200): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Stops sampling; returns the peak in MiB. */
  stop(): number {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.peak / (1 << 20);
  }
}

/** A model that tunes its hyper-parameters on FitOptions.validation and can hand them to a fresh instance. */
export interface TunableRecommender extends Recommender {
  tunedParams(): Record<string, unknown>;
}

export function isTunable(model: Recommender): model is TunableRecommender {
  return typeof (model as Partial<TunableRecommender>).tunedParams === 'function';
}

export interface SplitFitOptions {
  seed?: number;
  params?: Record<string, unknown>;
  onProgress?: FitOptions['onProgress'];
  /** Keep the model fitted on validationTrain (fusion needs it to fit its weights). */
  keepValidationModel?: boolean;
}

export interface SplitFit {
  /** Fitted on testTrain with the tuned parameters: the model to evaluate on test. */
  model: Recommender;
  /** Fitted on validationTrain, when it was fitted and kept. */
  validationModel?: Recommender;
  params: Record<string, unknown>;
  trainSeconds: number;
  peakRssMb: number;
}

/**
 * The protocol's fitting: when the model tunes on validation (or the caller needs it), fit on
 * validationTrain with the validation targets, then refit a fresh instance on testTrain with the
 * tuned parameters; otherwise fit once on testTrain. Train time and peak RSS cover both fits.
 */
export async function fitOnSplit(
  create: (params?: Record<string, unknown>) => Recommender,
  split: LeaveLastOutSplit,
  items: ItemMeta[] | null,
  opts: SplitFitOptions = {},
): Promise<SplitFit> {
  const sampler = new PeakRssSampler().start();
  const started = performance.now();
  let params = opts.params ?? {};
  const first = create(params);
  const twoStage = opts.keepValidationModel === true || isTunable(first);
  const progress = (offset: number, scale: number): FitOptions['onProgress'] => (p) => {
    sampler.sample();
    opts.onProgress?.({ ...p, fraction: offset + scale * p.fraction });
  };
  let validationModel: Recommender | undefined;
  let model = first;
  try {
    if (twoStage) {
      await first.fit(split.validationTrain, items, {
        seed: opts.seed,
        params,
        validation: split.validation,
        onProgress: progress(0, 0.5),
      });
      if (isTunable(first)) params = { ...params, ...first.tunedParams() };
      validationModel = first;
      model = create(params);
    }
    // The refit continues from the validation fit where the model can (one more event per user), rather than
    // training the same network again from scratch.
    const warmStart = twoStage ? first : undefined;
    await model.fit(split.testTrain, items, { seed: opts.seed, params, warmStart, onProgress: progress(twoStage ? 0.5 : 0, twoStage ? 0.5 : 1) });
  } catch (err) {
    sampler.stop();
    throw err;
  }
  if (validationModel && !opts.keepValidationModel) {
    validationModel.dispose();
    validationModel = undefined;
  }
  const trainSeconds = (performance.now() - started) / 1000;
  return { model, validationModel, params, trainSeconds, peakRssMb: sampler.stop() };
}
