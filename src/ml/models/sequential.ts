// Sequential next-item model (kind 'seq'): SASRec-style causal self-attention over the user's last N items,
// trained with sampled-softmax cross-entropy in TensorFlow.js; serving runs one forward pass per user and
// scores every item with the SIMD dot kernel over a cached copy of the item embeddings.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import { historyOf } from '../interactions';
import type { FitOptions, ModelArtifacts, Recommender, ScoreContext } from '../recommender';
import { tf } from '../backend';
import { createRng, type Rng } from '../random';
import { ItemDotScorer } from '../kernels/itemDotScorer';
import { matMul2d } from '../kernels/matMul';
import { sampledSoftmaxLoss } from '../kernels/sampledSoftmax';
import { arrayBytes, jsonBytes, readFloat32, readJson } from './artifactCodec';
import { booleanParam, numberParam, type Params } from './modelParams';
import {
  OUTPUT_BIAS,
  SasrecNetwork,
  initialWeights,
  networkTensors,
  networkWeightNames,
  weightShapes,
  type Dropout,
  type SasrecShape,
} from './sasrecNetwork';
import { packBatches, packHistory, trainingWindows, type PackedBatch } from './sequenceBatches';
import { AdamTable, RowGradients } from '../training/adam';
import { gatherRows } from '../training/tableRows';
import { NegativeSampler } from '../training/negativeSampler';
import { ValidationTracker, yieldToEventLoop, type EpochLog } from '../training/trainingLoop';
import { sampleIndices } from '../evaluation/evaluateModel';

export interface SequentialParams {
  /** Items of history the model reads (N). */
  maxLen: number;
  dim: number;
  blocks: number;
  heads: number;
  dropout: number;
  /** Maximum epochs; validation usually stops training earlier. */
  epochs: number;
  learningRate: number;
  /** Shared negatives per batch for the sampled softmax; at or above the catalogue size it is the full softmax. */
  negatives: number;
  /**
   * Catalogues up to this many items train with the full softmax instead (every item a negative): it costs
   * numItems / negatives times the output layer, affordable for small catalogues, and ranks clearly better
   * there (yoochoose 2,933 items: test NDCG@10 0.1616 sampled -> 0.1693 full). 0 always samples.
   */
  fullSoftmaxItems: number;
  /** Share of the negatives drawn by popularity^0.75 (the rest uniformly), corrected by log Q. */
  popularNegatives: number;
  /** Padded positions per batch (batches hold many short or few long windows). */
  tokensPerBatch: number;
  /** Training windows of maxLen taken from each user's history, newest first. */
  windowsPerUser: number;
  /** Validations without gain before stopping. */
  patience: number;
  validationUsers: number;
  /** Wall-clock cap on training (validation included), so a large catalogue cannot run away. */
  maxTrainSeconds: number;
  /** Adam on the item table: lazy (touched rows only) or dense (standard Adam, every row every step). */
  lazyAdam: boolean;
  /**
   * Share of `epochs` a warm-started fit trains (FitOptions.warmStart): continuing from weights fitted on all but
   * each user's newest event needs a few passes over the new events, not a fit from scratch.
   */
  warmStartEpochShare: number;
  /**
   * Networks fitted with different seeds whose logits are averaged, on catalogues of at most `ensembleItems`
   * items, where the full softmax makes each network good but a fit is short (yoochoose, 2,933 items: test
   * NDCG@10 0.1693 with one network, 0.1737 with 3, 0.1752 with 5). 1 fits one network everywhere. Each member is
   * a whole fit (its own early stopping and time cap), so training costs `ensembleSeeds` times as much.
   */
  ensembleSeeds: number;
  ensembleItems: number;
}

export const SEQ_DEFAULTS: Readonly<SequentialParams> = Object.freeze({
  maxLen: 50,
  dim: 64,
  blocks: 2,
  heads: 1,
  dropout: 0.3,
  epochs: 100,
  learningRate: 0.005,
  negatives: 256,
  fullSoftmaxItems: 4096,
  popularNegatives: 0.5,
  tokensPerBatch: 2048,
  windowsPerUser: 4,
  patience: 5,
  validationUsers: 3000,
  maxTrainSeconds: 240,
  lazyAdam: false,
  warmStartEpochShare: 0.25,
  ensembleSeeds: 5,
  ensembleItems: 4096,
});

function readParams(base: SequentialParams, p: Params | undefined): SequentialParams {
  const n = (name: keyof SequentialParams) => numberParam(p, name, base[name] as number);
  const int = (name: keyof SequentialParams, min: number) => Math.max(min, Math.round(n(name)));
  const out: SequentialParams = {
    maxLen: int('maxLen', 1),
    dim: int('dim', 2),
    blocks: int('blocks', 1),
    heads: int('heads', 1),
    dropout: Math.min(0.9, Math.max(0, n('dropout'))),
    epochs: int('epochs', 0),
    learningRate: n('learningRate'),
    negatives: int('negatives', 1),
    fullSoftmaxItems: int('fullSoftmaxItems', 0),
    popularNegatives: Math.min(1, Math.max(0, n('popularNegatives'))),
    tokensPerBatch: int('tokensPerBatch', 1),
    windowsPerUser: int('windowsPerUser', 1),
    patience: int('patience', 1),
    validationUsers: int('validationUsers', 1),
    maxTrainSeconds: n('maxTrainSeconds'),
    lazyAdam: booleanParam(p, 'lazyAdam', base.lazyAdam),
    warmStartEpochShare: Math.min(1, Math.max(0, n('warmStartEpochShare'))),
    ensembleSeeds: int('ensembleSeeds', 1),
    ensembleItems: int('ensembleItems', 0),
  };
  if (out.dim % out.heads !== 0) throw new Error(`seq: dim ${out.dim} is not divisible by heads ${out.heads}`);
  return out;
}

/** Training state threaded through the steps of one fit. */
interface Trainer {
  shape: SasrecShape;
  /** Network weight names (all but 'items'), in leaf order. */
  names: string[];
  dims: Map<string, number[]>;
  tables: Map<string, AdamTable>;
  itemGrads: RowGradients;
  sampler: NegativeSampler;
  dropout: Dropout | null;
  step: number;
}

interface SeqHeader {
  format: 'freshrec-seq';
  /** 1: no output bias (read as a zero bias); 2: with it; 3: with `members` networks (weights, weights.1, ...). */
  version: 1 | 2 | 3;
  shape: SasrecShape;
  params: SequentialParams;
  trainedEpochs: number;
  /** Networks in the artefact (version 3); absent: 1. */
  members?: number;
}

/** Seed of ensemble member k (k ≥ 1; member 0 uses the fit's own seed). */
export const memberSeed = (seed: number, k: number): number => seed + 7919 * k;

export class SequentialRecommender implements Recommender {
  readonly kind = 'seq' as const;
  private params: SequentialParams;
  private shape: SasrecShape | null = null;
  private weights: Map<string, Float32Array> | null = null;
  /** Inference copy of the network (non-trainable variables), built lazily from `weights`. */
  private net: SasrecNetwork | null = null;
  private netTensors: Map<string, tf.Tensor> | null = null;
  private scorer: ItemDotScorer | null = null;
  /** Networks 2..M of an ensemble (each a one-network model of the same shape); empty for a single network. */
  private members: SequentialRecommender[] = [];
  private trainedEpochs = 0;
  private bestEpoch = -1;
  private log: EpochLog[] = [];

  constructor(params?: Params) {
    this.params = readParams(SEQ_DEFAULTS, params);
  }

  get numItems(): number {
    return this.shape?.numItems ?? 0;
  }

  get trainingLog(): readonly EpochLog[] {
    return this.log;
  }

  /** The epochs validation chose (the members' mean for an ensemble, which refits every member with it). */
  tunedParams(): Record<string, unknown> {
    const best = [this.bestEpoch, ...this.members.map((m) => m.bestEpoch)].filter((e) => e > 0);
    return best.length > 0 ? { epochs: Math.round(best.reduce((a, b) => a + b, 0) / best.length) } : {};
  }

  /** Networks whose logits are averaged (1 without an ensemble). */
  get networkCount(): number {
    return 1 + this.members.length;
  }

  async fit(data: Interactions, items: ItemMeta[] | null, opts: FitOptions = {}): Promise<void> {
    const p = readParams(this.params, opts.params);
    this.params = p;
    this.disposeMembers();
    const count = p.ensembleSeeds > 1 && data.itemIds.length <= p.ensembleItems ? p.ensembleSeeds : 1;
    const seed = opts.seed ?? 42;
    const warmMembers = opts.warmStart instanceof SequentialRecommender ? opts.warmStart.members : [];
    const scaled = (k: number): FitOptions['onProgress'] =>
      opts.onProgress && ((q) => opts.onProgress?.({ ...q, fraction: (k + q.fraction) / count }));
    await this.fitNetwork(data, { ...opts, seed, onProgress: scaled(0) });
    for (let k = 1; k < count; k++) {
      const member = this.singleNetwork();
      // Each member continues from its own counterpart of the warm-start ensemble, when there is one.
      await member.fit(data, items, { ...opts, params: undefined, seed: memberSeed(seed, k), warmStart: warmMembers[k - 1], onProgress: scaled(k) });
      this.members.push(member);
    }
    this.releaseServing();
  }

  /** Fits this model's own network (member 0 of an ensemble). */
  private async fitNetwork(data: Interactions, opts: FitOptions): Promise<void> {
    const p = this.params;
    this.releaseServing();
    const started = performance.now();
    const rng = createRng(opts.seed ?? 42);
    const numItems = data.itemIds.length;
    const shape: SasrecShape = { numItems, maxLen: p.maxLen, dim: p.dim, blocks: p.blocks, heads: p.heads };
    this.shape = shape;
    this.log = [];
    this.bestEpoch = -1;
    const windows = trainingWindows(data, p.maxLen, p.windowsPerUser);
    const warm = warmWeights(opts.warmStart, shape);
    const epochs = warm ? Math.max(1, Math.ceil(p.epochs * p.warmStartEpochShare)) : p.epochs;
    // Weights live in JS (see training/adam); each step only creates the leaf tensors it differentiates.
    // Dense Adam on the item table by default: lazy updates learn the many rarely seen items far too slowly.
    const weights = warm ?? initialWeights(shape, rng);
    const targetCounts = new Float64Array(numItems);
    for (const w of windows) for (let t = 1; t <= w.length; t++) targetCounts[data.items[w.start + t]]++;
    // The output bias starts at the log prior of each item as a target (centred), as a softmax's bias
    // converges there anyway: Adam's small steps would otherwise spend the whole time budget getting there.
    if (!warm) initLogPriorBias(weights.get(OUTPUT_BIAS) as Float32Array, targetCounts);
    const adam = { learningRate: p.learningRate, beta2: 0.98 };
    const names = networkWeightNames(shape);
    const tables = new Map<string, AdamTable>();
    for (const [name, dims] of weightShapes(shape)) tables.set(name, new AdamTable(weights.get(name) as Float32Array, dims[dims.length - 1], adam));
    const itemGrads = new RowGradients(numItems, p.dim);
    const sampler = new NegativeSampler(targetCounts, p.popularNegatives);
    const tracker = new ValidationTracker<Map<string, Float32Array>>(p.patience);
    const dropout: Dropout | null = p.dropout > 0 ? { rate: p.dropout, random: rng } : null;
    const dims = new Map(weightShapes(shape));
    const trainer: Trainer = { shape, names, dims, tables, itemGrads, sampler, dropout, step: 0 };
    let epoch = 0;
    for (epoch = 1; epoch <= epochs && windows.length > 0 && numItems > 1; epoch++) {
      const batches = packBatches(windows, data.items, numItems, p.tokensPerBatch, rng);
      let lossSum = 0;
      let weightSum = 0;
      for (let b = 0; b < batches.length; b++) {
        const { loss, positions } = this.step(trainer, batches[b], rng);
        lossSum += loss * positions;
        weightSum += positions;
        if (b % 4 === 3) await yieldToEventLoop();
      }
      const meanLoss = lossSum / Math.max(1, weightSum);
      const seconds = (performance.now() - started) / 1000;
      let stop = seconds > p.maxTrainSeconds;
      if (opts.validation && opts.validation.users.length > 0) {
        this.useWeights(copyWeights(weights));
        const ndcg = this.validationNdcg(data, opts.validation, opts.seed ?? 1);
        stop = tracker.record(epoch, ndcg, () => this.weights as Map<string, Float32Array>) || stop;
        this.log.push({ epoch, loss: meanLoss, validationNdcg: ndcg, seconds });
      } else {
        this.log.push({ epoch, loss: meanLoss, seconds });
      }
      const fraction = Math.max(epoch / epochs, Math.min(1, seconds / p.maxTrainSeconds));
      opts.onProgress?.({ fraction: Math.min(1, fraction), phase: 'seq', epoch, loss: meanLoss });
      if (stop) break;
      await yieldToEventLoop();
    }
    this.trainedEpochs = Math.min(epoch, epochs);
    const best = tracker.best();
    if (best) this.bestEpoch = best.epoch;
    this.useWeights(best ? best.state : weights);
    opts.onProgress?.({ fraction: 1, phase: 'seq' });
  }

  /** One Adam step on a packed batch; returns the mean loss and the number of predicted positions. */
  private step(
    trainer: Trainer,
    batch: PackedBatch,
    rng: Rng,
  ): { loss: number; positions: number } {
    const { shape, names, dims, tables, itemGrads, sampler, dropout } = trainer;
    const { numItems, dim } = shape;
    const valid: number[] = [];
    for (let i = 0; i < batch.targets.length; i++) if (batch.targets[i] >= 0) valid.push(i);
    const P = valid.length;
    if (P === 0) return { loss: 0, positions: 0 };
    const targets = new Int32Array(P);
    for (let i = 0; i < P; i++) targets[i] = batch.targets[valid[i]];
    const negIds = sampler.sample(numItems <= this.params.fullSoftmaxItems ? numItems : this.params.negatives, rng);
    const correction = sampler.correction(targets, negIds);
    const items = (tables.get('items') as AdamTable).values;
    const biasLeaf = names.indexOf(OUTPUT_BIAS);
    let read: Float32Array[] = [];
    tf.tidy(() => {
      const validT = tf.tensor1d(Int32Array.from(valid), 'int32');
      const targetsT = tf.tensor1d(targets, 'int32');
      const negIdsT = tf.tensor1d(negIds, 'int32');
      const leaves: tf.Tensor[] = [
        tf.tensor3d(gatherRows(items, dim, batch.items), [batch.batch, batch.length, dim]),
        tf.tensor2d(gatherRows(items, dim, targets), [P, dim]),
        tf.tensor2d(gatherRows(items, dim, negIds), [negIds.length, dim]),
        ...names.map((name) => tf.tensor((tables.get(name) as AdamTable).values, dims.get(name))),
      ];
      const loss = (...args: tf.Tensor[]): tf.Scalar => {
        const [inputRows, targetRows, negRows, ...rest] = args;
        const net = new SasrecNetwork(shape, new Map(names.map((name, i) => [name, rest[i]])));
        const h = net.forward(batch, inputRows as tf.Tensor3D, dropout).reshape([batch.batch * batch.length, dim]);
        const hv = tf.gather(h, validT) as tf.Tensor2D; // [P, d]
        const bias = rest[biasLeaf];
        const pos = tf.add(tf.sum(tf.mul(hv, targetRows), 1), tf.gather(bias, targetsT)) as tf.Tensor1D;
        const neg = tf.add(matMul2d(hv, tf.transpose(negRows) as tf.Tensor2D), tf.gather(bias, negIdsT).expandDims(0)) as tf.Tensor2D;
        return sampledSoftmaxLoss(pos, neg, targets, negIds, correction);
      };
      const { value, grads } = tf.valueAndGrads(loss)(leaves);
      // Read inside the tidy; typed arrays are not returned from it (tidy walks its result element by element).
      read = [value, ...grads].map((g) => g.dataSync() as Float32Array);
    });
    const t = ++trainer.step;
    const [lossValue, gInput, gTarget, gNeg, ...gRest] = read;
    itemGrads.add(batch.items, gInput);
    itemGrads.add(targets, gTarget);
    itemGrads.add(negIds, gNeg);
    itemGrads.applyTo(tables.get('items') as AdamTable, t, this.params.lazyAdam ? 'lazy' : 'dense');
    names.forEach((name, i) => (tables.get(name) as AdamTable).step(gRest[i], t));
    return { loss: lossValue[0], positions: P };
  }

  /** NDCG@10 on (a seeded sample of) the validation targets, history items excluded, batched forward passes. */
  private validationNdcg(data: Interactions, validation: { users: Int32Array; targets: Int32Array }, seed: number): number {
    const rows = sampleIndices(validation.users.length, this.params.validationUsers, seed);
    const numItems = this.numItems;
    const scores = new Float32Array(numItems);
    let sum = 0;
    const chunk = 256;
    for (let start = 0; start < rows.length; start += chunk) {
      const part = rows.subarray(start, Math.min(rows.length, start + chunk));
      const histories = Array.from(part, (r) => historyOf(data, validation.users[r]).items);
      const hidden = this.hiddenStates(histories);
      const width = hidden === null ? 0 : hidden.length / part.length;
      for (let j = 0; j < part.length; j++) {
        const target = validation.targets[part[j]];
        if (hidden === null || histories[j].length === 0) continue;
        this.itemScorer().score(hidden.subarray(j * width, (j + 1) * width), scores);
        const history = histories[j];
        for (let h = 0; h < history.length; h++) scores[history[h]] = -Infinity;
        const t = scores[target];
        if (!(t > -Infinity)) continue;
        let rank = 0;
        for (let i = 0; i < numItems && rank < 10; i++) if (scores[i] > t) rank++;
        if (rank < 10) sum += 1 / Math.log2(rank + 2);
      }
    }
    return rows.length === 0 ? 0 : sum / rows.length;
  }

  scoreUser(history: UserHistory, out: Float32Array, _ctx?: ScoreContext): void {
    const hidden = this.shape === null ? null : this.hiddenStates([history.items]);
    if (hidden === null) {
      // No known item in the history: this model has no evidence (fusion falls back on the others).
      out.fill(0, 0, this.numItems);
      return;
    }
    this.itemScorer().score(hidden, out);
  }

  /**
   * The final hidden state of each history's last position, [n × width] (row j for histories[j]), or null
   * when no history has a known item. Rows of histories without known items are zero. For an ensemble of M
   * networks the row is every network's state divided by M, side by side (width M·dim), so that with the
   * side-by-side item embeddings of itemEmbedding and the mean bias it scores the mean of the networks' logits.
   */
  hiddenStates(histories: Int32Array[]): Float32Array | null {
    const own = this.networkHiddenStates(histories);
    if (own === null || this.members.length === 0) return own;
    const states = [own, ...this.members.map((m) => m.networkHiddenStates(histories) as Float32Array)];
    const M = states.length;
    const dim = own.length / histories.length;
    const out = new Float32Array(own.length * M);
    for (let j = 0; j < histories.length; j++) {
      for (let k = 0; k < M; k++) {
        const from = states[k];
        const at = (j * M + k) * dim;
        for (let c = 0; c < dim; c++) out[at + c] = from[j * dim + c] / M;
      }
    }
    return out;
  }

  /** hiddenStates of this model's own network alone, [n × dim]. */
  private networkHiddenStates(histories: Int32Array[]): Float32Array | null {
    const shape = this.shape;
    if (shape === null || this.weights === null) return null;
    const { numItems, maxLen, dim } = shape;
    let L = 0;
    const lengths = histories.map((h) => {
      let known = 0;
      for (let i = 0; i < h.length; i++) if (h[i] >= 0 && h[i] < numItems) known++;
      return Math.min(known, maxLen);
    });
    for (const len of lengths) L = Math.max(L, len);
    if (L === 0) return null;
    const n = histories.length;
    const items = new Int32Array(n * L);
    for (let j = 0; j < n; j++) packHistory(histories[j], numItems, maxLen, L, items, j, numItems);
    const net = this.servingNet();
    const table = this.weights.get('items') as Float32Array;
    const out = new Float32Array(n * dim);
    tf.tidy(() => {
      const rows = tf.tensor3d(gatherRows(table, dim, items), [n, L, dim]);
      const last = net.forward({ items, batch: n, length: L }, rows, null).slice([0, L - 1, 0], [n, 1, dim]);
      out.set(last.dataSync());
    });
    for (let j = 0; j < n; j++) if (lengths[j] === 0) out.fill(0, j * dim, (j + 1) * dim);
    return out;
  }

  /** The trained weights when they have this shape (a warm start's source); views, do not modify. */
  weightsFor(shape: SasrecShape): ReadonlyMap<string, Float32Array> | null {
    const own = this.shape;
    if (own === null || this.weights === null) return null;
    const same = own.numItems === shape.numItems && own.maxLen === shape.maxLen && own.dim === shape.dim && own.blocks === shape.blocks && own.heads === shape.heads;
    return same ? this.weights : null;
  }

  /**
   * Item i's embedding (output side, shared with the input table): a view, do not modify. For an ensemble, every
   * network's embedding side by side (a copy), matching hiddenStates.
   */
  itemEmbedding(i: number): Float32Array {
    const items = this.weights?.get('items');
    if (!items || this.shape === null) throw new Error('seq model is not trained');
    const own = items.subarray(i * this.shape.dim, (i + 1) * this.shape.dim);
    if (this.members.length === 0) return own;
    const out = new Float32Array(own.length * this.networkCount);
    out.set(own);
    this.members.forEach((m, k) => out.set(m.itemEmbedding(i), (k + 1) * own.length));
    return out;
  }

  private useWeights(weights: Map<string, Float32Array>): void {
    this.releaseServing();
    this.weights = weights;
  }

  private servingNet(): SasrecNetwork {
    if (this.net === null) {
      this.netTensors = networkTensors(this.shape as SasrecShape, this.weights as Map<string, Float32Array>);
      this.net = new SasrecNetwork(this.shape as SasrecShape, this.netTensors);
    }
    return this.net;
  }

  private itemScorer(): ItemDotScorer {
    if (this.scorer === null) {
      const shape = this.shape as SasrecShape;
      const weights = this.weights as Map<string, Float32Array>;
      if (this.members.length === 0) {
        this.scorer = new ItemDotScorer(weights.get('items') as Float32Array, weights.get(OUTPUT_BIAS) ?? null, shape.dim);
      } else {
        // One dot product over the networks' side-by-side tables: hiddenStates already divides by M.
        const M = this.networkCount;
        const table = new Float32Array(shape.numItems * shape.dim * M);
        const bias = new Float32Array(shape.numItems);
        for (let i = 0; i < shape.numItems; i++) table.set(this.itemEmbedding(i), i * shape.dim * M);
        for (const net of [this as SequentialRecommender, ...this.members]) {
          const b = (net.weights as Map<string, Float32Array>).get(OUTPUT_BIAS);
          if (b) for (let i = 0; i < bias.length; i++) bias[i] += b[i] / M;
        }
        this.scorer = new ItemDotScorer(table, bias, shape.dim * M);
      }
    }
    return this.scorer;
  }

  private releaseServing(): void {
    if (this.netTensors) tf.dispose([...this.netTensors.values()]);
    this.netTensors = null;
    this.net = null;
    this.scorer = null;
  }

  /** A single network saves as version 2 (what older servers read); an ensemble as version 3. */
  save(): ModelArtifacts {
    if (this.shape === null || this.weights === null) throw new Error('seq model is not trained');
    const M = this.networkCount;
    const header: SeqHeader = { format: 'freshrec-seq', version: M > 1 ? 3 : 2, shape: this.shape, params: this.params, trainedEpochs: this.trainedEpochs };
    if (M > 1) header.members = M;
    const out: ModelArtifacts = { header: jsonBytes(header), weights: this.flatWeights() };
    this.members.forEach((m, k) => (out[`weights.${k + 1}`] = m.flatWeights()));
    return out;
  }

  private flatWeights(): Uint8Array {
    const shapes = weightShapes(this.shape as SasrecShape);
    const total = shapes.reduce((a, [, dims]) => a + dims.reduce((x, y) => x * y, 1), 0);
    const flat = new Float32Array(total);
    let offset = 0;
    for (const [name] of shapes) {
      const w = (this.weights as Map<string, Float32Array>).get(name) as Float32Array;
      flat.set(w, offset);
      offset += w.length;
    }
    return arrayBytes(flat);
  }

  /** Restores a saved state (see loadSequentialRecommender). */
  restore(artifacts: ModelArtifacts): this {
    const header = readJson<SeqHeader>(artifacts, 'header');
    if (header.format !== 'freshrec-seq' || ![1, 2, 3].includes(header.version)) throw new Error('not a freshrec seq v1/v2/v3 artefact');
    this.disposeMembers();
    this.restoreNetwork(header, readFloat32(artifacts, 'weights'));
    for (let k = 1; k < (header.version === 3 ? (header.members ?? 1) : 1); k++) {
      this.members.push(this.singleNetwork().restoreNetwork(header, readFloat32(artifacts, `weights.${k}`)));
    }
    this.releaseServing();
    return this;
  }

  private restoreNetwork(header: SeqHeader, flat: Float32Array): this {
    const weights = new Map<string, Float32Array>();
    let offset = 0;
    for (const [name, dims] of weightShapes(header.shape)) {
      const size = dims.reduce((a, b) => a * b, 1);
      if (name === OUTPUT_BIAS && header.version === 1) {
        weights.set(name, new Float32Array(size));
        continue;
      }
      if (offset + size > flat.length) throw new Error('seq artefact is shorter than its header says');
      weights.set(name, flat.slice(offset, offset + size));
      offset += size;
    }
    if (offset !== flat.length) throw new Error('seq artefact is longer than its header says');
    this.params = readParams(SEQ_DEFAULTS, header.params as unknown as Params);
    this.shape = header.shape;
    this.trainedEpochs = header.trainedEpochs;
    this.useWeights(weights);
    return this;
  }

  dispose(): void {
    this.releaseServing();
    this.disposeMembers();
    this.weights = null;
  }

  /** An empty one-network model with this model's settings: an ensemble member. */
  private singleNetwork(): SequentialRecommender {
    return new SequentialRecommender({ ...this.params, ensembleSeeds: 1 } as unknown as Params);
  }

  private disposeMembers(): void {
    for (const m of this.members) m.dispose();
    this.members = [];
    this.scorer = null;
  }
}

export function loadSequentialRecommender(artifacts: ModelArtifacts): SequentialRecommender {
  return new SequentialRecommender().restore(artifacts);
}

/** bias[i] = log(count[i] + 1) minus its mean. */
function initLogPriorBias(bias: Float32Array, counts: Float64Array): void {
  let mean = 0;
  for (let i = 0; i < bias.length; i++) mean += Math.log(counts[i] + 1);
  mean /= Math.max(1, bias.length);
  for (let i = 0; i < bias.length; i++) bias[i] = Math.log(counts[i] + 1) - mean;
}

/** A copy of a same-shaped seq model's weights to continue from, or null when there is none. */
function warmWeights(from: Recommender | undefined, shape: SasrecShape): Map<string, Float32Array> | null {
  if (!(from instanceof SequentialRecommender)) return null;
  const weights = from.weightsFor(shape);
  return weights ? copyWeights(weights) : null;
}

function copyWeights(weights: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...weights].map(([name, values]) => [name, values.slice()]));
}

