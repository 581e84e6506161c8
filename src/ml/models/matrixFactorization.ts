// Matrix factorisation for implicit feedback (kind 'mf'): score σ(u·v + b), trained with sampled negatives
// (BPR or BCE; gradients by TensorFlow.js on a native backend, else one JS pass), Adam in JS; served by a SIMD dot loop.
import type { Interactions, ItemMeta, UserHistory } from '../interactions';
import type { FitOptions, ModelArtifacts, Recommender, ScoreContext } from '../recommender';
import { createRng, randInt, randNormal, type Rng } from '../random';
import { evaluateOnTargets } from '../evaluation/evaluateModel';
import { arrayBytes, jsonBytes, readFloat32, readJson } from './artifactCodec';
import { booleanParam, numberParam, type Params } from './modelParams';
import { ItemDotScorer } from '../kernels/itemDotScorer';
import { AdamTable, RowGradients } from '../training/adam';
import { createMfGradients, mfBatchGradients } from '../training/mfBatchGradients';
import { mfBatchGradientsTf } from '../training/mfBatchGradientsTf';
import { currentBackend } from '../backend';
import { ValidationTracker, yieldToEventLoop, type EpochLog } from '../training/trainingLoop';

export interface MatrixFactorizationParams {
  /** Embedding size. */
  dim: number;
  /** Maximum epochs; with validation, training stops earlier once NDCG@10 stops improving. */
  epochs: number;
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** L2 penalty on the embeddings (and biases) of each batch's rows. */
  l2: number;
  /** Sampled negatives per positive. */
  negatives: number;
  /** 'bpr': −log σ(x⁺ − x⁻); 'bce': −log σ(x⁺) − Σ log(1 − σ(x⁻)). */
  loss: 'bpr' | 'bce';
  /** Epochs without validation gain before stopping. */
  patience: number;
  /** Validation users scored per epoch (a seeded sample keeps epochs cheap). */
  validationUsers: number;
  /** Gradient steps per history item when folding in a user who has no trained embedding. */
  foldInEpochs: number;
  foldInLearningRate: number;
  foldInL2: number;
  /** Adam on the embedding tables: lazy (touched rows only, fastest on big tables) or dense (standard Adam). */
  lazyAdam: boolean;
}

export const MF_DEFAULTS: Readonly<MatrixFactorizationParams> = Object.freeze({
  dim: 64,
  epochs: 30,
  batchSize: 4096,
  learningRate: 0.02,
  l2: 0.01,
  negatives: 4,
  loss: 'bpr',
  patience: 3,
  validationUsers: 3000,
  foldInEpochs: 8,
  foldInLearningRate: 0.05,
  foldInL2: 0.002,
  lazyAdam: true,
});

function readParams(base: MatrixFactorizationParams, p: Params | undefined): MatrixFactorizationParams {
  const loss = p?.loss === 'bpr' || p?.loss === 'bce' ? p.loss : base.loss;
  const n = (name: keyof MatrixFactorizationParams) => numberParam(p, name, base[name] as number);
  return {
    dim: Math.max(1, Math.round(n('dim'))),
    epochs: Math.max(0, Math.round(n('epochs'))),
    batchSize: Math.max(1, Math.round(n('batchSize'))),
    learningRate: n('learningRate'),
    l2: n('l2'),
    negatives: Math.max(1, Math.round(n('negatives'))),
    loss,
    patience: Math.max(1, Math.round(n('patience'))),
    validationUsers: Math.max(1, Math.round(n('validationUsers'))),
    foldInEpochs: Math.max(0, Math.round(n('foldInEpochs'))),
    foldInLearningRate: n('foldInLearningRate'),
    foldInL2: n('foldInL2'),
    lazyAdam: booleanParam(p, 'lazyAdam', base.lazyAdam),
  };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * One online gradient step of a user embedding against one item, in place:
 * w ← w + α·(y − σ(w·v + b))·v − λ·w. Returns σ(w·v + b) before the step.
 */
export function onlineUserStep(w: Float32Array, v: Float32Array, bias: number, y: 0 | 1, lr: number, reg: number): number {
  const d = w.length;
  let x = bias;
  for (let k = 0; k < d; k++) x += w[k] * v[k];
  const p = sigmoid(x);
  const g = lr * (y - p);
  for (let k = 0; k < d; k++) w[k] += g * v[k] - reg * w[k];
  return p;
}

/**
 * One pairwise (BPR) step of a user embedding, in place: with x = w·(v⁺ − v⁻) + b⁺ − b⁻,
 * w ← w + α·σ(−x)·(v⁺ − v⁻) − λ·w. Returns σ(x) before the step.
 */
export function onlinePairStep(w: Float32Array, vPos: Float32Array, bPos: number, vNeg: Float32Array, bNeg: number, lr: number, reg: number): number {
  const d = w.length;
  let x = bPos - bNeg;
  for (let k = 0; k < d; k++) x += w[k] * (vPos[k] - vNeg[k]);
  const g = lr * sigmoid(-x);
  for (let k = 0; k < d; k++) w[k] += g * (vPos[k] - vNeg[k]) - reg * w[k];
  return sigmoid(x);
}

interface MfHeader {
  format: 'freshrec-mf';
  version: 1;
  dim: number;
  numUsers: number;
  numItems: number;
  params: MatrixFactorizationParams;
  trainedEpochs: number;
}

export class MatrixFactorization implements Recommender {
  readonly kind = 'mf' as const;
  private params: MatrixFactorizationParams;
  private userEmb: Float32Array = new Float32Array(0);
  private itemEmb: Float32Array = new Float32Array(0);
  private itemBias: Float32Array = new Float32Array(0);
  /** 1 for users that had training rows, so their trained embedding is meaningful. */
  private trainedUser: Uint8Array = new Uint8Array(0);
  private nUsers = 0;
  private nItems = 0;
  private trainedEpochs = 0;
  private bestEpochs = -1;
  private log: EpochLog[] = [];
  private readonly scratch: { w: Float32Array };
  /** Serving copy of the item table; rebuilt whenever the embeddings change. */
  private scorer: ItemDotScorer | null = null;

  constructor(params?: Params) {
    this.params = readParams(MF_DEFAULTS, params);
    this.scratch = { w: new Float32Array(this.params.dim) };
  }

  get numItems(): number {
    return this.nItems;
  }

  get numUsers(): number {
    return this.nUsers;
  }

  get dim(): number {
    return this.params.dim;
  }

  /** Item i's embedding (a view into the model: do not modify). */
  itemEmbedding(i: number): Float32Array {
    const d = this.params.dim;
    return this.itemEmb.subarray(i * d, (i + 1) * d);
  }

  itemBiasOf(i: number): number {
    return this.itemBias[i];
  }

  /** A copy of user u's trained embedding, or null when u had no training rows: the online updater's start. */
  userEmbedding(u: number): Float32Array | null {
    if (u < 0 || u >= this.nUsers || this.trainedUser[u] === 0) return null;
    const d = this.params.dim;
    return this.userEmb.slice(u * d, (u + 1) * d);
  }

  /** Loss and validation NDCG@10 of each epoch of the last fit. */
  get trainingLog(): readonly EpochLog[] {
    return this.log;
  }

  /** The epoch count validation chose, so a refit on more data can reuse it without validation. */
  tunedParams(): Record<string, unknown> {
    return this.bestEpochs > 0 ? { epochs: this.bestEpochs } : {};
  }

  async fit(data: Interactions, _items: ItemMeta[] | null, opts: FitOptions = {}): Promise<void> {
    const p = readParams(this.params, opts.params);
    this.params = p;
    this.scratch.w = new Float32Array(p.dim);
    const nUsers = data.userIds.length;
    const nItems = data.itemIds.length;
    this.nUsers = nUsers;
    this.nItems = nItems;
    this.trainedUser = new Uint8Array(nUsers);
    for (let u = 0; u < nUsers; u++) this.trainedUser[u] = data.userOffsets[u + 1] > data.userOffsets[u] ? 1 : 0;
    const rng = createRng(opts.seed ?? 42);
    this.log = [];
    const rows = data.items.length;

    // Sample weights normalised to mean 1, so the learning rate means the same whatever the event mix.
    let wSum = 0;
    for (let r = 0; r < rows; r++) wSum += data.weights[r];
    const wScale = wSum > 0 ? rows / wSum : 1;

    const init = (n: number) => {
      const a = new Float32Array(n * p.dim);
      const sd = 0.1 / Math.sqrt(p.dim);
      for (let k = 0; k < a.length; k++) a[k] = randNormal(rng) * sd;
      return a;
    };
    // Parameters stay in JS; each step computes the gradients of the rows it touched, and lazy Adam
    // updates just those rows.
    const adam = { learningRate: p.learningRate };
    const tables = {
      users: new AdamTable(init(nUsers), p.dim, adam),
      items: new AdamTable(init(nItems), p.dim, adam),
      bias: new AdamTable(new Float32Array(nItems), 1, adam),
    };
    const grads = {
      users: new RowGradients(nUsers, p.dim),
      items: new RowGradients(nItems, p.dim),
      bias: new RowGradients(nItems, 1),
    };
    const tracker = new ValidationTracker<Float32Array[]>(p.patience);
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    const batch = {
      users: new Int32Array(p.batchSize),
      items: new Int32Array(p.batchSize),
      weights: new Float32Array(p.batchSize),
      negatives: new Int32Array(p.batchSize * p.negatives),
    };
    const g = createMfGradients(p.batchSize, p.negatives, p.dim);
    // A native TF.js backend (tfjs-node, or tfjs-node-gpu on a GPU) beats the JS pass; wasm and cpu do not.
    const batchGradients = currentBackend() === 'tensorflow' ? mfBatchGradientsTf : mfBatchGradients;
    let t = 0;
    let epoch = 0;
    for (epoch = 1; epoch <= p.epochs && rows > 0 && nItems > 1; epoch++) {
      shuffle(order, rng);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < rows; start += p.batchSize) {
        const size = Math.min(p.batchSize, rows - start);
        for (let k = 0; k < size; k++) {
          const r = order[start + k];
          batch.users[k] = data.users[r];
          batch.items[k] = data.items[r];
          batch.weights[k] = data.weights[r] * wScale;
        }
        for (let k = 0; k < size * p.negatives; k++) batch.negatives[k] = randInt(rng, nItems);
        const users = batch.users.subarray(0, size);
        const items = batch.items.subarray(0, size);
        const negatives = batch.negatives.subarray(0, size * p.negatives);
        const loss = batchGradients(
          p.loss,
          p.l2,
          p.negatives,
          { users: tables.users.values, items: tables.items.values, bias: tables.bias.values, dim: p.dim },
          { users, items, negatives, weights: batch.weights, size },
          g,
        );
        const gU = g.users.subarray(0, size * p.dim);
        const gV = g.items.subarray(0, size * p.dim);
        const gN = g.negatives.subarray(0, size * p.negatives * p.dim);
        const gBi = g.itemBias.subarray(0, size);
        const gBj = g.negativeBias.subarray(0, size * p.negatives);
        t++;
        grads.users.add(users, gU);
        grads.items.add(items, gV);
        grads.items.add(negatives, gN);
        grads.bias.add(items, gBi);
        grads.bias.add(negatives, gBj);
        const mode = p.lazyAdam ? 'lazy' : 'dense';
        grads.users.applyTo(tables.users, t, mode);
        grads.items.applyTo(tables.items, t, mode);
        grads.bias.applyTo(tables.bias, t, mode);
        lossSum += loss;
        batches++;
        if (batches % 8 === 0) await yieldToEventLoop();
      }
      const meanLoss = lossSum / Math.max(1, batches);
      this.setEmbeddings(tables.users.values, tables.items.values, tables.bias.values);
      let stop = false;
      if (opts.validation && opts.validation.users.length > 0) {
        const ndcg = (await evaluateOnTargets(this, data, opts.validation, 10, { maxUsers: p.validationUsers, seed: opts.seed })).ndcg;
        stop = tracker.record(epoch, ndcg, () => [this.userEmb.slice(), this.itemEmb.slice(), this.itemBias.slice()]);
        this.log.push({ epoch, loss: meanLoss, validationNdcg: ndcg });
      } else {
        this.log.push({ epoch, loss: meanLoss });
      }
      opts.onProgress?.({ fraction: epoch / p.epochs, phase: 'mf', epoch, loss: meanLoss });
      if (stop) break;
    }
    this.trainedEpochs = Math.min(epoch, p.epochs);
    const best = tracker.best();
    if (best) {
      this.setEmbeddings(best.state[0], best.state[1], best.state[2]);
      this.bestEpochs = best.epoch;
    } else {
      this.setEmbeddings(tables.users.values, tables.items.values, tables.bias.values);
    }
    opts.onProgress?.({ fraction: 1, phase: 'mf' });
  }

  private setEmbeddings(users: Float32Array, items: Float32Array, bias: Float32Array): void {
    this.userEmb = users;
    this.itemEmb = items;
    this.itemBias = bias;
    this.scorer = null;
  }

  scoreUser(history: UserHistory, out: Float32Array, ctx?: ScoreContext): void {
    const d = this.params.dim;
    let w: Float32Array;
    if (ctx?.userEmbedding && ctx.userEmbedding.length === d) {
      w = ctx.userEmbedding;
    } else if (ctx?.userIndex !== undefined && ctx.userIndex >= 0 && ctx.userIndex < this.nUsers && this.trainedUser[ctx.userIndex] === 1) {
      w = this.userEmb.subarray(ctx.userIndex * d, (ctx.userIndex + 1) * d);
    } else {
      w = this.foldIn(history, this.scratch.w);
    }
    // σ is monotone, so ranking by the logit w·v + b equals ranking by σ(w·v + b) and saves an exp per item.
    this.itemScorer().score(w, out);
  }

  private itemScorer(): ItemDotScorer {
    if (this.scorer === null) this.scorer = new ItemDotScorer(this.itemEmb, this.itemBias, this.params.dim);
    return this.scorer;
  }

  /**
   * An embedding for a user the model was not trained on: start from the weighted mean of their history
   * items (later items weigh more), then a few online steps against those items and sampled negatives.
   */
  foldIn(history: UserHistory, into?: Float32Array): Float32Array {
    const p = this.params;
    const d = p.dim;
    const w = into ?? new Float32Array(d);
    w.fill(0);
    const n = history.items.length;
    if (n === 0 || this.nItems === 0) return w;
    let total = 0;
    for (let h = 0; h < n; h++) {
      const item = history.items[h];
      if (item < 0 || item >= this.nItems) continue;
      const weight = (history.weights[h] || 1) * (1 + h / n);
      total += weight;
      const row = item * d;
      for (let k = 0; k < d; k++) w[k] += weight * this.itemEmb[row + k];
    }
    if (total > 0) for (let k = 0; k < d; k++) w[k] /= total;
    // Seeded by the history so the same user always gets the same embedding.
    const rng: Rng = createRng(n * 2654435761 + history.items[n - 1]);
    for (let e = 0; e < p.foldInEpochs; e++) {
      for (let h = 0; h < n; h++) {
        const item = history.items[h];
        if (item < 0 || item >= this.nItems) continue;
        const neg = randInt(rng, this.nItems);
        if (p.loss === 'bpr') {
          // BPR learns only score differences (its biases are not calibrated log-odds), so fold in pairwise too.
          onlinePairStep(w, this.itemEmbedding(item), this.itemBias[item], this.itemEmbedding(neg), this.itemBias[neg], p.foldInLearningRate, p.foldInL2);
        } else {
          onlineUserStep(w, this.itemEmbedding(item), this.itemBias[item], 1, p.foldInLearningRate, p.foldInL2);
          onlineUserStep(w, this.itemEmbedding(neg), this.itemBias[neg], 0, p.foldInLearningRate, p.foldInL2);
        }
      }
    }
    return w;
  }

  similarItems(item: number, out: Float32Array): void {
    // Cosine between item embeddings: bias is popularity, not similarity, so it stays out.
    const d = this.params.dim;
    const v = this.itemEmbedding(item);
    let vn = 0;
    for (let k = 0; k < d; k++) vn += v[k] * v[k];
    vn = Math.sqrt(vn) || 1;
    for (let i = 0, row = 0; i < this.nItems; i++, row += d) {
      let dot = 0;
      let n2 = 0;
      for (let k = 0; k < d; k++) {
        const x = this.itemEmb[row + k];
        dot += v[k] * x;
        n2 += x * x;
      }
      out[i] = dot / (vn * (Math.sqrt(n2) || 1));
    }
    out[item] = -Infinity;
  }

  save(): ModelArtifacts {
    const header: MfHeader = {
      format: 'freshrec-mf',
      version: 1,
      dim: this.params.dim,
      numUsers: this.nUsers,
      numItems: this.nItems,
      params: this.params,
      trainedEpochs: this.trainedEpochs,
    };
    return {
      header: jsonBytes(header),
      userEmbeddings: arrayBytes(this.userEmb),
      itemEmbeddings: arrayBytes(this.itemEmb),
      itemBias: arrayBytes(this.itemBias),
      trainedUsers: arrayBytes(this.trainedUser),
    };
  }

  /** Restores a saved state (see loadMatrixFactorization). */
  restore(artifacts: ModelArtifacts): this {
    const header = readJson<MfHeader>(artifacts, 'header');
    if (header.format !== 'freshrec-mf' || header.version !== 1) throw new Error('not a freshrec mf v1 artefact');
    this.params = readParams(MF_DEFAULTS, header.params as unknown as Params);
    this.scratch.w = new Float32Array(this.params.dim);
    this.nUsers = header.numUsers;
    this.nItems = header.numItems;
    this.trainedEpochs = header.trainedEpochs;
    this.userEmb = readFloat32(artifacts, 'userEmbeddings');
    this.itemEmb = readFloat32(artifacts, 'itemEmbeddings');
    this.itemBias = readFloat32(artifacts, 'itemBias');
    this.scorer = null;
    const trained = artifacts.trainedUsers;
    this.trainedUser = trained ? trained.slice() : new Uint8Array(this.nUsers).fill(1);
    const d = this.params.dim;
    if (this.userEmb.length !== this.nUsers * d || this.itemEmb.length !== this.nItems * d || this.itemBias.length !== this.nItems) {
      throw new Error('mf artefact sizes do not match its header');
    }
    return this;
  }

  dispose(): void {
    // Training frees its tensors in fit; serving holds only typed arrays.
    this.userEmb = new Float32Array(0);
    this.itemEmb = new Float32Array(0);
    this.itemBias = new Float32Array(0);
    this.scorer = null;
  }
}

export function loadMatrixFactorization(artifacts: ModelArtifacts): MatrixFactorization {
  return new MatrixFactorization().restore(artifacts);
}

function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
