// Content-based recommender (kind 'content'): hashed TF-IDF vectors of item metadata, a recency-weighted user
// profile, cosine scores through an inverted index. Scores items nobody has touched yet, so new items get exposure.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import type { FitOptions, ModelArtifacts, Recommender, ScoreContext } from '../recommender';
import { evaluateOnTargets } from '../evaluation/evaluateModel';
import { arrayBytes, jsonBytes, readFloat32, readInt32, readJson } from './artifactCodec';
import { booleanParam, numberParam, type Params } from './modelParams';
import { itemFeatures } from './contentFeatures';

export interface ContentParams {
  /** Feature hashing space is 2^hashBits buckets. */
  hashBits: number;
  /** Most recent distinct history items in the profile. */
  historyLength: number;
  /** Profile weight multiplier per step back in history. */
  historyDecay: number;
  /** Weight of normalised training popularity added to cosine scores (breaks the many ties of coarse metadata). */
  popularityBlend: number;
  /** Half-life (days) of that popularity prior, counted back from the newest event; 0 means no decay. */
  popularityHalfLifeDays: number;
  /** Features on more than this fraction of items are dropped: they barely discriminate and make scoring O(catalogue). */
  maxDocumentFraction: number;
}

export const DEFAULT_CONTENT_PARAMS: Readonly<ContentParams> = Object.freeze({
  hashBits: 18,
  historyLength: 20,
  historyDecay: 0.8,
  popularityBlend: 0.05,
  popularityHalfLifeDays: 0,
  maxDocumentFraction: 0.5,
});

/** Searched in this order: the prior's half-life first, as it decides whether blending pays at all. */
const TUNING_GRID: Partial<Record<keyof ContentParams, number[]>> = {
  popularityHalfLifeDays: [0, 180, 30, 7],
  popularityBlend: [0, 0.01, 0.05, 0.2, 1, 10],
  historyLength: [3, 10, 20, 50],
  historyDecay: [0.5, 0.8, 0.95],
};

function readParams(params: Params | undefined, base: Readonly<ContentParams>): ContentParams {
  const out = { ...base };
  for (const key of Object.keys(base) as (keyof ContentParams)[]) out[key] = numberParam(params, key, base[key]);
  out.hashBits = Math.min(24, Math.max(8, Math.round(out.hashBits)));
  return out;
}

/** Sparse vectors as CSR rows: item -> (bucket, weight), L2-normalised. */
interface SparseRows {
  offsets: number[] | Int32Array;
  features: number[] | Int32Array;
  weights: number[] | Float32Array;
}

/** Event-weighted popularity over its max, halving every `halfLifeDays` back from the newest event (0: no decay). */
function decayedPopularity(data: Interactions, halfLifeDays: number): Float32Array {
  const popularity = new Float32Array(data.itemIds.length);
  let newest = -Infinity;
  for (let r = 0; r < data.times.length; r++) if (data.times[r] > newest) newest = data.times[r];
  const rate = halfLifeDays > 0 ? Math.LN2 / (halfLifeDays * 86400) : 0;
  for (let r = 0; r < data.items.length; r++) popularity[data.items[r]] += data.weights[r] * Math.exp(-rate * (newest - data.times[r]));
  let max = 0;
  for (let i = 0; i < popularity.length; i++) max = Math.max(max, popularity[i]);
  if (max > 0) for (let i = 0; i < popularity.length; i++) popularity[i] /= max;
  return popularity;
}

export class ContentRecommender implements Recommender {
  readonly kind = 'content' as const;
  private params: ContentParams;
  private tune: boolean;
  /** Items vectorised at fit time. */
  private rows: SparseRows = { offsets: new Int32Array(1), features: new Int32Array(0), weights: new Float32Array(0) };
  /** Items added after training (addItem), kept in growable arrays. */
  private added: { offsets: number[]; features: number[]; weights: number[] } = { offsets: [0], features: [], weights: [] };
  /** Inverted index over the fitted items: bucket -> (item, weight). */
  private postingOffsets = new Int32Array(1);
  private postingItems = new Int32Array(0);
  private postingWeights = new Float32Array(0);
  /** Inverse document frequency per bucket; unseen buckets get `maxIdf`. */
  private idf = new Float32Array(0);
  private maxIdf = 1;
  private popularity: Float32Array = new Float32Array(0);
  private profile = new Float32Array(0);
  private profileTouched: number[] = [];

  constructor(params?: Params) {
    this.params = readParams(params, DEFAULT_CONTENT_PARAMS);
    this.tune = booleanParam(params, 'tune', true);
  }

  get numItems(): number {
    return this.fittedItems + this.added.offsets.length - 1;
  }

  private get fittedItems(): number {
    return this.rows.offsets.length - 1;
  }

  async fit(data: Interactions, items: ItemMeta[] | null, opts: FitOptions = {}): Promise<void> {
    if (opts.params) {
      this.params = readParams(opts.params, this.params);
      this.tune = booleanParam(opts.params, 'tune', this.tune);
    }
    const numItems = data.itemIds.length;
    const buckets = 1 << this.params.hashBits;
    const mask = buckets - 1;
    // Raw term frequencies per item, then document frequencies per bucket.
    const raw: Map<number, number>[] = [];
    const df = new Float32Array(buckets);
    for (let i = 0; i < numItems; i++) {
      const meta = items?.[i] ?? { id: data.itemIds[i], title: data.itemIds[i] };
      const tf = new Map<number, number>();
      for (const [token, weight] of itemFeatures(meta)) {
        const b = token & mask;
        tf.set(b, (tf.get(b) ?? 0) + weight);
      }
      for (const b of tf.keys()) df[b]++;
      raw.push(tf);
    }
    this.idf = new Float32Array(buckets);
    this.maxIdf = Math.log(numItems + 1) + 1;
    const maxDf = Math.max(1, this.params.maxDocumentFraction * numItems);
    // A dropped bucket has idf -1, so appendVector skips it in fitted and added items alike.
    for (let b = 0; b < buckets; b++) this.idf[b] = df[b] > maxDf ? -1 : Math.log((numItems + 1) / (df[b] + 1)) + 1;
    const offsets = new Int32Array(numItems + 1);
    const features: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < numItems; i++) {
      this.appendVector(raw[i], features, weights);
      offsets[i + 1] = features.length;
    }
    this.rows = { offsets, features: Int32Array.from(features), weights: Float32Array.from(weights) };
    this.added = { offsets: [0], features: [], weights: [] };
    this.buildIndex();

    this.popularity = decayedPopularity(data, this.params.popularityHalfLifeDays);
    opts.onProgress?.({ fraction: 0.5, phase: 'content vectors' });

    if (opts.validation && this.tune && opts.validation.users.length > 0) await this.tuneOnValidation(data, opts);
    opts.onProgress?.({ fraction: 1, phase: 'content' });
  }

  /** Coordinate search over the cheap scoring parameters on a validation sample. */
  private async tuneOnValidation(data: Interactions, opts: FitOptions): Promise<void> {
    // Each evaluation scores the whole catalogue per user, so a modest seeded sample keeps ~15 evaluations cheap.
    const ndcg = async () => (await evaluateOnTargets(this, data, opts.validation!, 10, { maxUsers: 1500, seed: opts.seed })).ndcg;
    let best = await ndcg();
    for (const key of Object.keys(TUNING_GRID) as (keyof ContentParams)[]) {
      const current = this.params[key];
      let bestValue = current;
      for (const value of TUNING_GRID[key]!) {
        if (value === current) continue;
        this.params[key] = value;
        if (key === 'popularityHalfLifeDays') this.popularity = decayedPopularity(data, value);
        const score = await ndcg();
        if (score > best + 1e-6) {
          best = score;
          bestValue = value;
        }
      }
      this.params[key] = bestValue;
      if (key === 'popularityHalfLifeDays') this.popularity = decayedPopularity(data, bestValue);
    }
  }

  /** TF-IDF weights of one item's raw term frequencies, L2-normalised, appended to the given arrays. */
  private appendVector(tf: Map<number, number>, features: number[], weights: number[]): void {
    const start = features.length;
    let norm = 0;
    for (const [b, count] of tf) {
      if (this.idf[b] < 0) continue;
      const idf = this.idf[b] > 0 ? this.idf[b] : this.maxIdf;
      const w = (1 + Math.log(count)) * idf;
      features.push(b);
      weights.push(w);
      norm += w * w;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = start; k < weights.length; k++) weights[k] *= inv;
  }

  private buildIndex(): void {
    const buckets = this.idf.length;
    const { offsets, features, weights } = this.rows;
    const counts = new Int32Array(buckets + 1);
    for (let k = 0; k < features.length; k++) counts[features[k] + 1]++;
    for (let b = 0; b < buckets; b++) counts[b + 1] += counts[b];
    const cursor = counts.slice(0, buckets);
    const items = new Int32Array(features.length);
    const ws = new Float32Array(features.length);
    for (let i = 0; i < offsets.length - 1; i++) {
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        const slot = cursor[features[k]]++;
        items[slot] = i;
        ws[slot] = weights[k];
      }
    }
    this.postingOffsets = counts;
    this.postingItems = items;
    this.postingWeights = ws;
    this.profile = new Float32Array(buckets);
  }

  /**
   * Vectorises a catalogue item that arrived after training and returns its new index; it is
   * scored from then on (its popularity prior is 0 until the next fit).
   */
  addItem(meta: ItemMeta): number {
    const mask = this.idf.length - 1;
    const tf = new Map<number, number>();
    for (const [token, weight] of itemFeatures(meta)) tf.set(token & mask, (tf.get(token & mask) ?? 0) + weight);
    this.appendVector(tf, this.added.features, this.added.weights);
    this.added.offsets.push(this.added.features.length);
    return this.numItems - 1;
  }

  /** Calls `visit(bucket, weight)` for each feature of item `i` (fitted or added). */
  private forEachFeature(i: number, visit: (bucket: number, weight: number) => void): void {
    const fitted = this.fittedItems;
    const rows = i < fitted ? this.rows : this.added;
    const row = i < fitted ? i : i - fitted;
    for (let k = rows.offsets[row]; k < rows.offsets[row + 1]; k++) visit(rows.features[k], rows.weights[k]);
  }

  /** Scores every item by the dot product of its vector with the dense `profile` over `touched` buckets. */
  private scoreProfile(touched: number[], out: Float32Array): void {
    const profile = this.profile;
    for (const b of touched) {
      const pw = profile[b];
      for (let s = this.postingOffsets[b]; s < this.postingOffsets[b + 1]; s++) out[this.postingItems[s]] += pw * this.postingWeights[s];
    }
    const fitted = this.fittedItems;
    const added = this.added;
    for (let r = 0; r < added.offsets.length - 1; r++) {
      let dot = 0;
      for (let k = added.offsets[r]; k < added.offsets[r + 1]; k++) dot += profile[added.features[k]] * added.weights[k];
      out[fitted + r] += dot;
    }
  }

  scoreUser(history: UserHistory, out: Float32Array, _ctx?: ScoreContext): void {
    out.fill(0);
    const profile = this.profile;
    const touched = this.profileTouched;
    touched.length = 0;
    const numItems = this.numItems;
    const length = Math.max(0, Math.round(this.params.historyLength));
    const used = new Set<number>();
    let recency = 1;
    for (let h = history.items.length - 1; h >= 0 && used.size < length; h--) {
      const item = history.items[h];
      if (item < 0 || item >= numItems || used.has(item)) continue;
      used.add(item);
      const w = recency * Math.sqrt(Math.max(history.weights[h], 0));
      recency *= this.params.historyDecay;
      if (!(w > 0)) continue;
      this.forEachFeature(item, (b, v) => {
        if (profile[b] === 0) touched.push(b);
        profile[b] += w * v;
      });
    }
    let norm = 0;
    for (const b of touched) norm += profile[b] * profile[b];
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (const b of touched) profile[b] *= inv;
      this.scoreProfile(touched, out);
    }
    for (const b of touched) profile[b] = 0;
    const blend = this.params.popularityBlend;
    if (blend > 0) for (let i = 0; i < this.popularity.length; i++) out[i] += blend * this.popularity[i];
  }

  /** Cosine similarity of every item's metadata to item `item` (works for added items too). */
  similarItems(item: number, out: Float32Array): void {
    out.fill(0);
    if (item < 0 || item >= this.numItems) return;
    const touched: number[] = [];
    this.forEachFeature(item, (b, v) => {
      if (this.profile[b] === 0) touched.push(b);
      this.profile[b] += v;
    });
    this.scoreProfile(touched, out);
    for (const b of touched) this.profile[b] = 0;
  }

  tunedParams(): Params {
    return { ...this.params, tune: false };
  }

  save(): ModelArtifacts {
    // Added items are folded into the saved rows, so a reload sees one catalogue.
    const fitted = this.rows;
    const added = this.added;
    const total = this.numItems;
    const offsets = new Int32Array(total + 1);
    offsets.set(fitted.offsets);
    const base = fitted.offsets[fitted.offsets.length - 1];
    for (let r = 1; r < added.offsets.length; r++) offsets[this.fittedItems + r] = base + added.offsets[r];
    const features = new Int32Array(base + added.features.length);
    features.set(fitted.features);
    features.set(added.features, base);
    const weights = new Float32Array(features.length);
    weights.set(fitted.weights);
    weights.set(added.weights, base);
    const popularity = new Float32Array(total);
    popularity.set(this.popularity);
    return {
      params: jsonBytes({ ...this.params, maxIdf: this.maxIdf }),
      offsets: arrayBytes(offsets),
      features: arrayBytes(features),
      weights: arrayBytes(weights),
      idf: arrayBytes(this.idf),
      popularity: arrayBytes(popularity),
    };
  }

  restore(artifacts: ModelArtifacts): this {
    const saved = readJson<Params>(artifacts, 'params');
    this.params = readParams(saved, DEFAULT_CONTENT_PARAMS);
    this.maxIdf = numberParam(saved, 'maxIdf', 1);
    this.tune = false;
    this.rows = { offsets: readInt32(artifacts, 'offsets'), features: readInt32(artifacts, 'features'), weights: readFloat32(artifacts, 'weights') };
    this.added = { offsets: [0], features: [], weights: [] };
    this.idf = readFloat32(artifacts, 'idf');
    this.popularity = readFloat32(artifacts, 'popularity');
    this.buildIndex();
    return this;
  }

  dispose(): void {
    this.rows = { offsets: new Int32Array(1), features: new Int32Array(0), weights: new Float32Array(0) };
    this.added = { offsets: [0], features: [], weights: [] };
    this.postingOffsets = new Int32Array(1);
    this.postingItems = new Int32Array(0);
    this.postingWeights = new Float32Array(0);
    this.idf = new Float32Array(0);
    this.profile = new Float32Array(0);
    this.popularity = new Float32Array(0);
  }
}

export function loadContent(artifacts: ModelArtifacts): ContentRecommender {
  return new ContentRecommender().restore(artifacts);
}
