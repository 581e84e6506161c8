// Recency-aware item-to-item recommender (kind 'itemknn'): sums the neighbour rows of the user's recent items,
// newest first, plus a small popularity prior. The graph is CSR typed arrays, so save/load is just bytes.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import type { FitOptions, ModelArtifacts, Recommender, ScoreContext, ScoreRow } from '../recommender';
import { EvidenceTable, ItemKnnSparseRow, orderByPopularity } from './itemKnnSparseRow';
import { arrayBytes, jsonBytes, readFloat32, readInt32, readJson } from './artifactCodec';
import {
  accumulateNeighbours,
  buildCoCounts,
  emptyGraph,
  pruneNeighbours,
  readItemKnnParams,
  tailPopularity,
  type ItemKnnParams,
  type NeighbourGraph,
} from './itemKnnGraph';
import { tuneItemKnn } from './itemKnnTuner';
import { yieldToEventLoop } from '../training/trainingLoop';
import { booleanParam, numberParam, type Params } from './modelParams';

export { DEFAULT_ITEMKNN_PARAMS, type ItemKnnParams } from './itemKnnGraph';

export class ItemKnnRecommender implements Recommender {
  readonly kind = 'itemknn' as const;
  private params: ItemKnnParams;
  /** Tune on FitOptions.validation when given (params 'tune': false turns it off; 'tuneEvaluations' bounds it). */
  private tune: boolean;
  private tuneEvaluations: number;
  private graph: NeighbourGraph = emptyGraph();
  /** Popularity over its max, for the backfill blend. */
  private popularity: Float32Array = new Float32Array(0);
  private validationNdcg: number | undefined;
  private touched = new Int32Array(0);
  private readonly used = new Int32Array(100);
  /** Accumulator of sparseScores, all zero between calls. */
  private evidenceScratch = new Float32Array(0);
  private popularityOrder: Int32Array | null = null;
  private evidence: EvidenceTable | null = null;

  constructor(params?: Params) {
    this.params = readItemKnnParams(params);
    this.tune = booleanParam(params, 'tune', true);
    this.tuneEvaluations = numberParam(params, 'tuneEvaluations', 150);
  }

  get numItems(): number {
    return this.popularity.length;
  }

  async fit(data: Interactions, _items: ItemMeta[] | null, opts: FitOptions = {}): Promise<void> {
    if (opts.params) {
      this.params = readItemKnnParams(opts.params, this.params);
      this.tune = booleanParam(opts.params, 'tune', this.tune);
      this.tuneEvaluations = numberParam(opts.params, 'tuneEvaluations', this.tuneEvaluations);
    }
    if (opts.validation && this.tune && opts.validation.users.length > 0) {
      const tuned = await tuneItemKnn(data, opts.validation, this.params, {
        seed: opts.seed,
        maxEvaluations: this.tuneEvaluations,
        onProgress: (fraction, phase) => opts.onProgress?.({ fraction: 0.95 * fraction, phase }),
      });
      this.params = tuned.params;
      this.graph = tuned.graph;
      this.popularity = tuned.popularity;
      this.validationNdcg = tuned.ndcg;
    } else {
      opts.onProgress?.({ fraction: 0.1, phase: 'co-occurrence' });
      // Each phase is seconds on a large shop: let the process's other work (online updates) run in between.
      const co = await buildCoCounts(data, this.params);
      await yieldToEventLoop();
      this.graph = pruneNeighbours(co, this.params);
      await yieldToEventLoop();
      this.popularity = tailPopularity(data, this.params.popularityTailDecay);
    }
    this.touched = new Int32Array(this.popularity.length);
    this.popularityOrder = null;
    opts.onProgress?.({ fraction: 1, phase: 'item-knn' });
  }

  scoreUser(history: UserHistory, out: Float32Array, _ctx?: ScoreContext): void {
    out.fill(0);
    if (this.touched.length !== this.popularity.length) this.touched = new Int32Array(this.popularity.length);
    const nTouched = accumulateNeighbours(this.graph, this.params, history, out, this.touched, this.used);
    let max = 0;
    for (let k = 0; k < nTouched; k++) if (out[this.touched[k]] > max) max = out[this.touched[k]];
    // Neighbour evidence is scaled to [0, 1] so the popularity prior means the same for every user.
    const scale = max > 0 ? 1 / max : 0;
    const blend = this.params.popularityBlend;
    const pop = this.popularity;
    const n = Math.min(out.length, pop.length);
    for (let i = 0; i < n; i++) out[i] = out[i] * scale + blend * pop[i];
  }

  /** scoreUser's values as a sparse row: neighbour evidence on the touched items, the popularity prior elsewhere. */
  sparseScores(history: UserHistory): ScoreRow {
    const n = this.popularity.length;
    if (this.touched.length !== n) this.touched = new Int32Array(n);
    if (this.evidenceScratch.length !== n) this.evidenceScratch = new Float32Array(n);
    if (this.evidence?.value.length !== n) this.evidence = new EvidenceTable(n);
    const acc = this.evidenceScratch;
    const nTouched = accumulateNeighbours(this.graph, this.params, history, acc, this.touched, this.used);
    let max = 0;
    for (let k = 0; k < nTouched; k++) if (acc[this.touched[k]] > max) max = acc[this.touched[k]];
    const scale = max > 0 ? 1 / max : 0;
    const items = this.touched.slice(0, nTouched);
    const values = new Float32Array(nTouched);
    for (let k = 0; k < nTouched; k++) {
      values[k] = acc[items[k]] * scale;
      acc[items[k]] = 0;
    }
    this.popularityOrder ??= orderByPopularity(this.popularity);
    return new ItemKnnSparseRow(this.evidence, items, values, this.params.popularityBlend, this.popularity, this.popularityOrder);
  }

  /** Neighbour similarity of every item to `item` ("others also viewed"); items that are not neighbours get 0. */
  similarItems(item: number, out: Float32Array): void {
    out.fill(0);
    const { offsets, neighbours, sims } = this.graph;
    if (item < 0 || item >= this.popularity.length) return;
    for (let s = offsets[item]; s < offsets[item + 1]; s++) out[neighbours[s]] = sims[s];
  }

  similarityTo(item: number): (other: number) => number {
    const { offsets, neighbours, sims } = this.graph;
    if (item < 0 || item >= this.popularity.length) return () => 0;
    const byNeighbour = new Map<number, number>();
    for (let s = offsets[item]; s < offsets[item + 1]; s++) byNeighbour.set(neighbours[s], sims[s]);
    return (other) => byNeighbour.get(other) ?? 0;
  }

  /** Parameters in use (after validation tuning, the tuned ones), with tuning off so a refit reuses them as they are. */
  tunedParams(): Params {
    return { ...this.params, tune: false };
  }

  /** Validation NDCG@10 reached by tuning, when fit had validation targets. */
  get tunedValidationNdcg(): number | undefined {
    return this.validationNdcg;
  }

  save(): ModelArtifacts {
    return {
      params: jsonBytes(this.params),
      offsets: arrayBytes(this.graph.offsets),
      neighbours: arrayBytes(this.graph.neighbours),
      sims: arrayBytes(this.graph.sims),
      popularity: arrayBytes(this.popularity),
    };
  }

  restore(artifacts: ModelArtifacts): this {
    this.params = readItemKnnParams(readJson<Params>(artifacts, 'params'));
    this.tune = false;
    this.graph = { offsets: readInt32(artifacts, 'offsets'), neighbours: readInt32(artifacts, 'neighbours'), sims: readFloat32(artifacts, 'sims') };
    this.popularity = readFloat32(artifacts, 'popularity');
    this.touched = new Int32Array(this.popularity.length);
    this.popularityOrder = null;
    return this;
  }

  dispose(): void {
    this.graph = emptyGraph();
    this.popularity = new Float32Array(0);
    this.touched = new Int32Array(0);
    this.evidenceScratch = new Float32Array(0);
    this.popularityOrder = null;
    this.evidence = null;
  }
}

export function loadItemKnn(artifacts: ModelArtifacts): ItemKnnRecommender {
  return new ItemKnnRecommender().restore(artifacts);
}
