// What the approximate index needs of a model that scores items by a user vector against item embeddings (mf: w·v + b,
// seq: hidden state · v + b): its item table, the user vector its own scoreUser would use, and one item's exact score.
// Kept beside the index, outside the models, so serving can ask for the few hundred best items instead of all.
import type { Recommender, ScoreContext } from '../recommender';
import type { UserHistory } from '../interactions';
import { MatrixFactorization } from '../models/matrixFactorization';
import { SequentialRecommender } from '../models/sequential';
import type { ItemEmbeddingTable } from './itemVectorIndex';

export interface EmbeddingSource {
  readonly dim: number;
  readonly numItems: number;
  /** A copy of the item table (and bias) as the model scores it. */
  table(): ItemEmbeddingTable;
  /** The user vector scoreUser would score with; null when the model has no evidence for this history. */
  userVector(history: UserHistory, ctx?: ScoreContext): Float32Array | null;
  /** Item j's score for user vector w: what scoreUser writes at j (computed in float64, so equal to ~1e-6). */
  scoreOf(w: Float32Array, j: number): number;
  /** Up to `count` real user vectors (dim floats each) to calibrate the index on, or null when the model has none. */
  sampleQueries(count: number): Float32Array | null;
}

/** The embedding view of a model, or null for models that do not score by embeddings (pop, itemknn, content). */
export function embeddingSource(model: Recommender): EmbeddingSource | null {
  if (model instanceof MatrixFactorization && model.numItems > 0) return mfSource(model);
  if (model instanceof SequentialRecommender && model.numItems > 0) return seqSource(model);
  return null;
}

function dot(w: Float32Array, v: Float32Array): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += w[k] * v[k];
  return s;
}

/**
 * w·E[j] + b(j). Ranking reads a few thousand items per list, so when the model's rows are views of one contiguous
 * table (checked, not assumed) the dot product reads that table directly instead of making a view per item.
 */
function scoreFromRows(numItems: number, dim: number, row: (i: number) => Float32Array, bias: (j: number) => number): (w: Float32Array, j: number) => number {
  const first = row(0);
  const last = row(numItems - 1);
  const contiguous = first.buffer === last.buffer && last.byteOffset === first.byteOffset + (numItems - 1) * dim * 4 && first.length === dim;
  if (!contiguous) return (w, j) => dot(w, row(j)) + bias(j);
  const table = new Float32Array(first.buffer, first.byteOffset, numItems * dim);
  return (w, j) => {
    let s = 0;
    for (let k = 0, r = j * dim; k < dim; k++) s += w[k] * table[r + k];
    return s + bias(j);
  };
}

function copyTable(numItems: number, dim: number, row: (i: number) => Float32Array): Float32Array {
  const out = new Float32Array(numItems * dim);
  for (let i = 0; i < numItems; i++) out.set(row(i), i * dim);
  return out;
}

function mfSource(model: MatrixFactorization): EmbeddingSource {
  const { dim, numItems } = model;
  return {
    dim,
    numItems,
    table: () => ({
      embeddings: copyTable(numItems, dim, (i) => model.itemEmbedding(i)),
      bias: Float32Array.from({ length: numItems }, (_, i) => model.itemBiasOf(i)),
      dim,
    }),
    // The same precedence as MatrixFactorization.scoreUser: an online-updated vector, the trained one, a fold-in.
    userVector: (history, ctx) => {
      if (ctx?.userEmbedding && ctx.userEmbedding.length === dim) return ctx.userEmbedding;
      const trained = ctx?.userIndex !== undefined ? model.userEmbedding(ctx.userIndex) : null;
      return trained ?? model.foldIn(history, new Float32Array(dim));
    },
    scoreOf: scoreFromRows(numItems, dim, (i) => model.itemEmbedding(i), (j) => model.itemBiasOf(j)),
    // Trained users spread over the user table: the index is calibrated on the vectors it will be asked with.
    sampleQueries: (count) => {
      const found: Float32Array[] = [];
      const users = model.numUsers;
      for (let k = 0; k < count && users > 0; k++) {
        const w = model.userEmbedding(Math.floor((k * users) / count));
        if (w) found.push(w);
      }
      if (found.length < count / 2) return null;
      const out = new Float32Array(found.length * dim);
      found.forEach((w, k) => out.set(w, k * dim));
      return out;
    },
  };
}

function seqSource(model: SequentialRecommender): EmbeddingSource | null {
  const numItems = model.numItems;
  const dim = model.itemEmbedding(0).length;
  const bias = seqOutputBias(model, numItems);
  if (bias === null) return null;
  return {
    dim,
    numItems,
    table: () => ({ embeddings: copyTable(numItems, dim, (i) => model.itemEmbedding(i)), bias: bias.slice(), dim }),
    // scoreUser scores with the last position's hidden state; without a known item it writes zeros (no evidence).
    userVector: (history) => model.hiddenStates([history.items]),
    scoreOf: scoreFromRows(numItems, dim, (i) => model.itemEmbedding(i), (j) => bias[j]),
    // Hidden states need histories; the index falls back on mixes of item embeddings.
    sampleQueries: () => null,
  };
}

// Largest disagreement tolerated between two derivations of the bias (float32 scoring against float64 here).
const BIAS_TOLERANCE = 1e-3;

/**
 * seq scores hidden · v_j + b_j with a per-item output bias it keeps to itself: b_j is read back as scoreUser's
 * score minus the dot product, for two different histories. If they disagree, the model no longer scores as
 * "vector · item + bias" and gets no index (null: scored exactly) rather than a wrong one.
 */
function seqOutputBias(model: SequentialRecommender, numItems: number): Float32Array | null {
  const derive = (item: number): Float64Array | null => {
    const history = { items: Int32Array.of(item), times: Float64Array.of(0), types: Uint8Array.of(0), weights: Float32Array.of(1) };
    const hidden = model.hiddenStates([history.items]);
    if (hidden === null) return null;
    const out = new Float32Array(numItems);
    model.scoreUser(history, out);
    return Float64Array.from(out, (s, j) => s - dot(hidden, model.itemEmbedding(j)));
  };
  const a = derive(0);
  const b = derive(numItems - 1);
  if (a === null || b === null) return null;
  let scale = 1;
  for (let j = 0; j < numItems; j++) scale = Math.max(scale, Math.abs(a[j]));
  for (let j = 0; j < numItems; j++) if (Math.abs(a[j] - b[j]) > BIAS_TOLERANCE * scale) return null;
  return Float32Array.from(a);
}
