// Time-decayed popularity, global and per category: the floor every learned model must beat and the cold-start answer.
// Scores are kept relative to a reference time so new events can be folded in online without a refit.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import type { FitOptions, ModelArtifacts, Recommender, ScoreContext } from '../recommender';
import { topK, type TopK } from '../topK';
import { evaluateOnTargets } from '../evaluation/evaluateModel';
import { arrayBytes, jsonBytes, readFloat32, readInt32, readJson } from './artifactCodec';
import { numberParam, type Params } from './modelParams';

const DAY = 86400;
/** Half-lives tried on validation when none is given; Infinity is plain popularity. */
const HALF_LIFE_CANDIDATES_DAYS = [1, 7, 30, 180, Infinity];
const DEFAULT_HALF_LIFE_DAYS = 30;

interface PopularityState {
  halfLifeDays: number;
  /** Unix seconds the scores are expressed at. */
  referenceTime: number;
  categories: string[];
}

export class PopularityRecommender implements Recommender {
  readonly kind = 'pop' as const;
  private scores = new Float32Array(0);
  /** Category index of each item, -1 when it has none. */
  private itemCategory = new Int32Array(0);
  private categoryNames: string[] = [];
  private categoryIndex = new Map<string, number>();
  private halfLifeDays: number;
  private halfLifeFixed: boolean;
  private referenceTime = 0;

  constructor(params?: Params) {
    this.halfLifeFixed = params?.halfLifeDays !== undefined;
    this.halfLifeDays = numberParam(params, 'halfLifeDays', DEFAULT_HALF_LIFE_DAYS);
  }

  get numItems(): number {
    return this.scores.length;
  }

  async fit(data: Interactions, items: ItemMeta[] | null, opts: FitOptions = {}): Promise<void> {
    if (opts.params?.halfLifeDays !== undefined) {
      this.halfLifeDays = numberParam(opts.params, 'halfLifeDays', this.halfLifeDays);
      this.halfLifeFixed = true;
    }
    let newest = -Infinity;
    for (let r = 0; r < data.times.length; r++) if (data.times[r] > newest) newest = data.times[r];
    this.referenceTime = opts.now ?? (Number.isFinite(newest) ? newest : 0);
    this.setCategories(data.itemIds.length, items);

    if (opts.validation && !this.halfLifeFixed) {
      let best = -1;
      let bestHalfLife = this.halfLifeDays;
      for (const candidate of HALF_LIFE_CANDIDATES_DAYS) {
        this.accumulate(data, candidate);
        const ndcg = (await evaluateOnTargets(this, data, opts.validation, 10, { maxUsers: 2000, seed: opts.seed })).ndcg;
        if (ndcg > best) {
          best = ndcg;
          bestHalfLife = candidate;
        }
      }
      this.halfLifeDays = bestHalfLife;
    }
    this.accumulate(data, this.halfLifeDays);
    opts.onProgress?.({ fraction: 1, phase: 'popularity' });
  }

  private accumulate(data: Interactions, halfLifeDays: number): void {
    const scores = new Float32Array(data.itemIds.length);
    const rate = Number.isFinite(halfLifeDays) ? Math.LN2 / (halfLifeDays * DAY) : 0;
    for (let r = 0; r < data.items.length; r++) {
      scores[data.items[r]] += data.weights[r] * Math.exp(-rate * (this.referenceTime - data.times[r]));
    }
    this.scores = scores;
  }

  private setCategories(numItems: number, items: ItemMeta[] | null): void {
    this.itemCategory = new Int32Array(numItems).fill(-1);
    this.categoryNames = [];
    this.categoryIndex = new Map();
    if (!items) return;
    for (let i = 0; i < numItems; i++) {
      const name = items[i]?.category;
      if (name) this.itemCategory[i] = this.categoryCode(name);
    }
  }

  private categoryCode(name: string): number {
    let code = this.categoryIndex.get(name);
    if (code === undefined) {
      code = this.categoryNames.length;
      this.categoryIndex.set(name, code);
      this.categoryNames.push(name);
    }
    return code;
  }

  scoreUser(_history: UserHistory, out: Float32Array, _ctx?: ScoreContext): void {
    out.set(this.scores);
  }

  /** Decayed popularity of the items of `category` into `out`; every other item gets -Infinity. */
  categoryScores(category: string, out: Float32Array): void {
    out.fill(-Infinity);
    const code = this.categoryIndex.get(category);
    if (code === undefined) return;
    for (let i = 0; i < this.scores.length; i++) if (this.itemCategory[i] === code) out[i] = this.scores[i];
  }

  /** The `k` most popular items right now, overall (`category` null) or within one category. */
  trending(category: string | null, k: number): TopK {
    if (category === null) return topK(this.scores, k);
    const code = this.categoryIndex.get(category);
    if (code === undefined) return { indices: new Int32Array(0), scores: new Float32Array(0) };
    return topK(this.scores, k, (i) => this.itemCategory[i] !== code);
  }

  categories(): string[] {
    return [...this.categoryNames];
  }

  /**
   * Folds one new event into the scores online (real-time trending). Scores are rescaled to the
   * newer time first, so they stay comparable and never overflow.
   */
  observe(item: number, time: number, weight: number, category?: string | null): void {
    if (item >= this.scores.length) this.grow(item + 1);
    if (category && this.itemCategory[item] < 0) this.itemCategory[item] = this.categoryCode(category);
    const rate = Number.isFinite(this.halfLifeDays) ? Math.LN2 / (this.halfLifeDays * DAY) : 0;
    if (time > this.referenceTime) {
      const decay = Math.exp(-rate * (time - this.referenceTime));
      for (let i = 0; i < this.scores.length; i++) this.scores[i] *= decay;
      this.referenceTime = time;
    }
    this.scores[item] += weight * Math.exp(-rate * (this.referenceTime - time));
  }

  private grow(size: number): void {
    const scores = new Float32Array(size);
    scores.set(this.scores);
    const cats = new Int32Array(size).fill(-1);
    cats.set(this.itemCategory);
    this.scores = scores;
    this.itemCategory = cats;
  }

  tunedParams(): Params {
    return { halfLifeDays: this.halfLifeDays };
  }

  save(): ModelArtifacts {
    const state: PopularityState = {
      halfLifeDays: Number.isFinite(this.halfLifeDays) ? this.halfLifeDays : -1,
      referenceTime: this.referenceTime,
      categories: this.categoryNames,
    };
    return { state: jsonBytes(state), scores: arrayBytes(this.scores), itemCategory: arrayBytes(this.itemCategory) };
  }

  /** Restores a saved state (see loadPopularity). */
  restore(artifacts: ModelArtifacts): this {
    const state = readJson<PopularityState>(artifacts, 'state');
    this.halfLifeDays = state.halfLifeDays < 0 ? Infinity : state.halfLifeDays;
    this.halfLifeFixed = true;
    this.referenceTime = state.referenceTime;
    this.categoryNames = state.categories;
    this.categoryIndex = new Map(state.categories.map((name, code) => [name, code]));
    this.scores = readFloat32(artifacts, 'scores');
    this.itemCategory = readInt32(artifacts, 'itemCategory');
    return this;
  }

  dispose(): void {
    this.scores = new Float32Array(0);
    this.itemCategory = new Int32Array(0);
  }
}

export function loadPopularity(artifacts: ModelArtifacts): PopularityRecommender {
  return new PopularityRecommender().restore(artifacts);
}
