// Kind 'fusion': N trained components plus a fusion strategy, behaving as one Recommender so evaluation and the
// server treat it like any model. Only candidates (each component's top list, history excluded) get finite scores.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import type { FitOptions, ModelArtifacts, ModelKind, Recommender, ScoreContext } from '../recommender';
import { jsonBytes, readJson } from '../models/artifactCodec';
import type { Params } from '../models/modelParams';
import { buildCandidateSet, type FusionStrategy, type FusionStrategyName } from './fusionStrategy';
import { collectFusionExamples, createFusionStrategy, selectFusionStrategy, type FusionValidationReport } from './fusionSelection';

export interface FusionComponent {
  /** Display name, e.g. the model kind. */
  name: string;
  model: Recommender;
}

export interface FusedRecommenderOptions {
  /** Candidates taken from each component's top list. */
  perComponent?: number;
  /** Strategies compared on validation; the first is used until a fit with validation chooses. */
  strategies?: readonly FusionStrategyName[];
  /** Validation users used to fit the strategy. */
  validationUsers?: number;
}

interface FusionManifest {
  components: { name: string; kind: ModelKind }[];
  strategy: FusionStrategyName;
  strategyState: unknown;
  perComponent: number;
  report?: FusionValidationReport;
}

export class FusedRecommender implements Recommender {
  readonly kind = 'fusion' as const;
  private readonly perComponent: number;
  private readonly strategies: readonly FusionStrategyName[];
  private readonly validationUsers: number;
  private scratch: Float32Array[] = [];
  private exclude = new Uint8Array(0);
  private marker = new Int32Array(0);
  private fused = new Float32Array(0);
  /** Held-out validation figures from the last strategy fit: the caller keeps the best component if fusion lost. */
  validationReport: FusionValidationReport | undefined;

  constructor(
    readonly components: FusionComponent[],
    private strategy: FusionStrategy,
    opts: FusedRecommenderOptions = {},
  ) {
    if (components.length === 0) throw new Error('fusion needs at least one component');
    this.perComponent = opts.perComponent ?? 50;
    this.strategies = opts.strategies ?? ['weighted', 'rrf', 'stacking'];
    this.validationUsers = opts.validationUsers ?? 4000;
  }

  get numItems(): number {
    return Math.min(...this.components.map((c) => c.model.numItems));
  }

  get strategyName(): FusionStrategyName {
    return this.strategy.name;
  }

  /**
   * Fits every component on `data`; with validation targets (not in `data`), also fits and chooses
   * the strategy on them. Without validation the current strategy is kept, so a refit on more data
   * reuses weights fitted earlier.
   */
  async fit(data: Interactions, items: ItemMeta[] | null, opts: FitOptions = {}): Promise<void> {
    const n = this.components.length;
    for (let c = 0; c < n; c++) {
      await this.components[c].model.fit(data, items, {
        ...opts,
        onProgress: (p) => opts.onProgress?.({ ...p, fraction: (c + p.fraction) / (n + 1), phase: `${this.components[c].name}: ${p.phase ?? ''}` }),
      });
    }
    if (opts.validation && opts.validation.users.length > 0) this.fitStrategy(data, opts.validation, opts.seed);
    opts.onProgress?.({ fraction: 1, phase: 'fusion' });
  }

  /** Fits the strategy on validation targets with the components as they are now (fitted on `data`). */
  fitStrategy(data: Interactions, validation: { users: Int32Array; targets: Int32Array }, seed?: number): FusionValidationReport {
    const examples = collectFusionExamples(
      this.components.map((c) => c.model),
      data,
      validation,
      { maxUsers: this.validationUsers, perComponent: this.perComponent, seed },
    );
    const { strategy, report } = selectFusionStrategy(
      examples,
      this.components.map((c) => c.name),
      { strategies: this.strategies, seed },
    );
    this.strategy = strategy;
    this.validationReport = report;
    return report;
  }

  /** The same strategy over other instances of the components (e.g. refitted on more data). */
  withComponents(components: FusionComponent[]): FusedRecommender {
    const fused = new FusedRecommender(components, this.strategy, { perComponent: this.perComponent, strategies: this.strategies, validationUsers: this.validationUsers });
    fused.validationReport = this.validationReport;
    return fused;
  }

  scoreUser(history: UserHistory, out: Float32Array, ctx?: ScoreContext): void {
    const numItems = this.numItems;
    if (this.scratch.length !== this.components.length || this.scratch[0].length !== numItems) {
      this.scratch = this.components.map(() => new Float32Array(numItems));
    }
    this.components.forEach((c, k) => c.model.scoreUser(history, this.scratch[k], ctx));
    this.fuseScores(history, this.scratch, out, ctx);
  }

  /**
   * The fused scores from the components' own scores for this user (componentScores[k] from components[k],
   * unmodified): for a caller that needs both, e.g. an evaluation scoring every component and the fusion at once.
   */
  fuseScores(history: UserHistory, componentScores: Float32Array[], out: Float32Array, ctx?: ScoreContext): void {
    const numItems = this.numItems;
    if (this.exclude.length !== numItems) {
      this.exclude = new Uint8Array(numItems);
      this.marker = new Int32Array(numItems);
    }
    const items = history.items;
    for (let h = 0; h < items.length; h++) if (items[h] >= 0 && items[h] < numItems) this.exclude[items[h]] = 1;
    const now = ctx?.now ?? (history.times.length > 0 ? history.times[history.times.length - 1] : undefined);
    const set = buildCandidateSet(componentScores, this.exclude, this.perComponent, items.length, now, this.marker);
    for (let h = 0; h < items.length; h++) if (items[h] >= 0 && items[h] < numItems) this.exclude[items[h]] = 0;
    if (this.fused.length < set.size) this.fused = new Float32Array(Math.max(set.size, 64));
    this.strategy.fuse(set, this.fused);
    out.fill(-Infinity);
    for (let j = 0; j < set.size; j++) out[set.items[j]] = this.fused[j];
  }

  /** Component kinds and tuned parameters plus the fitted strategy: a fresh fusion fitted on more data reuses them. */
  tunedParams(): Params {
    return {
      components: this.components.map((c) => c.model.kind),
      componentNames: this.components.map((c) => c.name),
      componentParams: this.components.map((c) => {
        const tunable = c.model as Recommender & { tunedParams?: () => Params };
        return typeof tunable.tunedParams === 'function' ? tunable.tunedParams() : {};
      }),
      strategy: this.strategy.name,
      strategyState: this.strategy.state(),
      perComponent: this.perComponent,
    };
  }

  save(): ModelArtifacts {
    const manifest: FusionManifest = {
      components: this.components.map((c) => ({ name: c.name, kind: c.model.kind })),
      strategy: this.strategy.name,
      strategyState: this.strategy.state(),
      perComponent: this.perComponent,
      report: this.validationReport,
    };
    const artifacts: ModelArtifacts = { manifest: jsonBytes(manifest) };
    this.components.forEach((c, k) => {
      for (const [key, bytes] of Object.entries(c.model.save())) artifacts[`${k}/${key}`] = bytes;
    });
    return artifacts;
  }

  dispose(): void {
    for (const c of this.components) c.model.dispose();
    this.scratch = [];
  }
}

/** Restores a saved fusion; components are loaded through `loadComponent` (the registry), which avoids an import cycle. */
export function loadFusedRecommender(artifacts: ModelArtifacts, loadComponent: (kind: ModelKind, artifacts: ModelArtifacts) => Recommender): FusedRecommender {
  const manifest = readJson<FusionManifest>(artifacts, 'manifest');
  const components = manifest.components.map((c, k) => {
    const prefix = `${k}/`;
    const own: ModelArtifacts = {};
    for (const [key, bytes] of Object.entries(artifacts)) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = bytes;
    return { name: c.name, model: loadComponent(c.kind, own) };
  });
  const fused = new FusedRecommender(components, createFusionStrategy(manifest.strategy, manifest.strategyState), { perComponent: manifest.perComponent });
  fused.validationReport = manifest.report;
  return fused;
}

/**
 * The evaluation protocol for fusion with components already trained twice: `validationComponents`
 * (fitted on validation-train) fit the strategy on validation targets; the returned model fuses
 * `finalComponents` (same order, refitted on every event except the test targets) with that strategy.
 */
export function assembleFusion(
  validationComponents: FusionComponent[],
  finalComponents: FusionComponent[],
  validationTrain: Interactions,
  validation: { users: Int32Array; targets: Int32Array },
  opts: FusedRecommenderOptions & { seed?: number } = {},
): FusedRecommender {
  const tuning = new FusedRecommender(validationComponents, createFusionStrategy('weighted'), opts);
  tuning.fitStrategy(validationTrain, validation, opts.seed);
  return tuning.withComponents(finalComponents);
}
