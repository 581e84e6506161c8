// The SASRec network as TensorFlow.js ops: item + learned positional embeddings, causal self-attention
// blocks (pre-layer-norm, point-wise FFN, dropout), a final layer norm. Weights live in named variables.
import { tf } from '../backend';
import { causalAttention } from '../kernels/causalAttention';
import { dense } from '../kernels/matMul';
import { randNormal, type Rng } from '../random';

export interface SasrecShape {
  numItems: number;
  /** Longest input sequence; positions are aligned to its end. */
  maxLen: number;
  dim: number;
  blocks: number;
  heads: number;
}

const LN_EPSILON = 1e-6;

/** Name of the [numItems] output bias added to every item's logit. */
export const OUTPUT_BIAS = 'out.bias';

/**
 * Names and shapes of every weight. 'items' [numItems, d] is both the input and the output embedding;
 * the padding id `numItems` has no row (its input is zeros).
 */
export function weightShapes(s: SasrecShape): [string, number[]][] {
  const d = s.dim;
  const out: [string, number[]][] = [
    ['items', [s.numItems, d]],
    ['positions', [s.maxLen, d]],
  ];
  for (let b = 0; b < s.blocks; b++) {
    out.push(
      [`b${b}.ln1.g`, [d]],
      [`b${b}.ln1.b`, [d]],
      [`b${b}.q.w`, [d, d]],
      [`b${b}.q.b`, [d]],
      [`b${b}.k.w`, [d, d]],
      [`b${b}.k.b`, [d]],
      [`b${b}.v.w`, [d, d]],
      [`b${b}.v.b`, [d]],
      [`b${b}.ln2.g`, [d]],
      [`b${b}.ln2.b`, [d]],
      [`b${b}.ff1.w`, [d, d]],
      [`b${b}.ff1.b`, [d]],
      [`b${b}.ff2.w`, [d, d]],
      [`b${b}.ff2.b`, [d]],
    );
  }
  // A learned per-item output bias: popularity is learned in a few steps this way instead of being squeezed
  // into the embeddings, which matters when the time budget allows only a few hundred steps.
  out.push(['out.ln.g', [d]], ['out.ln.b', [d]], [OUTPUT_BIAS, [s.numItems]]);
  return out;
}

/** Initial values: embeddings N(0, 1/√d), dense layers Glorot-uniform, layer-norm gains 1, biases 0. */
export function initialWeights(s: SasrecShape, rng: Rng): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of weightShapes(s)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(size);
    if (name === 'items' || name === 'positions') {
      const sd = 1 / Math.sqrt(s.dim);
      for (let i = 0; i < size; i++) a[i] = randNormal(rng) * sd;
    } else if (name.endsWith('.w')) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      for (let i = 0; i < size; i++) a[i] = (rng() * 2 - 1) * limit;
    } else if (name.endsWith('.g')) {
      a.fill(1);
    }
    weights.set(name, a);
  }
  return weights;
}

/** One batch of left-padded sequences, prepared in JS. */
export interface SequenceBatch {
  /** [B, L] item ids, padding = numItems. */
  items: Int32Array;
  batch: number;
  length: number;
}

/** Training-time dropout: the rate and the seeded uniform source its masks are drawn from. */
export interface Dropout {
  rate: number;
  random: () => number;
}

/** Every weight except the item table, as tensors for one forward pass (or kept for serving). */
export type NetworkTensors = Map<string, tf.Tensor>;

/** Names of the weights the network itself uses (all but 'items', which the caller gathers). */
export function networkWeightNames(s: SasrecShape): string[] {
  return weightShapes(s)
    .map(([name]) => name)
    .filter((name) => name !== 'items');
}

export function networkTensors(s: SasrecShape, weights: Map<string, Float32Array>): NetworkTensors {
  const out: NetworkTensors = new Map();
  for (const [name, dims] of weightShapes(s)) {
    if (name === 'items' || name === OUTPUT_BIAS) continue;
    const values = weights.get(name);
    if (!values) throw new Error(`sasrec weight ${name} missing`);
    out.set(name, tf.tensor(values, dims));
  }
  return out;
}

export class SasrecNetwork {
  constructor(
    readonly shape: SasrecShape,
    private readonly weights: NetworkTensors,
  ) {}

  private w(name: string): tf.Tensor {
    const v = this.weights.get(name);
    if (!v) throw new Error(`sasrec weight ${name} missing`);
    return v;
  }

  /**
   * Hidden states [B, L, d] for a batch whose item rows `inputRows` [B, L, d] the caller gathered
   * (zeros at padding); `dropout` null at inference. Call inside tf.tidy or a gradient function.
   */
  forward(batch: SequenceBatch, inputRows: tf.Tensor3D, dropout: Dropout | null): tf.Tensor3D {
    const { dim: d, maxLen, numItems, heads } = this.shape;
    const B = batch.batch;
    const L = batch.length;
    const drop = dropout === null || dropout.rate === 0 ? (x: tf.Tensor) => x : dropoutMask(dropout);
    const pad = new Float32Array(B * L);
    const valid = new Uint8Array(B * heads * L);
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < L; i++) {
        const ok = batch.items[r * L + i] !== numItems ? 1 : 0;
        pad[r * L + i] = ok;
        for (let h = 0; h < heads; h++) valid[(r * heads + h) * L + i] = ok;
      }
    }
    const padMask = tf.tensor3d(pad, [B, L, 1]);

    const positions = tf.slice(this.w('positions'), [maxLen - L, 0], [L, d]);
    let x: tf.Tensor = tf.add(tf.mul(inputRows, Math.sqrt(d)), positions);
    x = tf.mul(drop(x), padMask);

    const dh = d / heads;
    const split = (t: tf.Tensor) =>
      (heads === 1 ? t : tf.transpose(t.reshape([B, L, heads, dh]), [0, 2, 1, 3]).reshape([B * heads, L, dh])) as tf.Tensor3D;
    const merge = (t: tf.Tensor) => (heads === 1 ? t : tf.transpose(t.reshape([B, heads, L, dh]), [0, 2, 1, 3]).reshape([B, L, d]));
    const attention = { valid, dropout: dropout?.rate ?? 0, random: dropout?.random };

    for (let b = 0; b < this.shape.blocks; b++) {
      const p = `b${b}.`;
      const q = this.layerNorm(x, p + 'ln1');
      const Q = split(dense(q, this.w(p + 'q.w') as tf.Tensor2D, this.w(p + 'q.b') as tf.Tensor1D));
      const K = split(dense(x, this.w(p + 'k.w') as tf.Tensor2D, this.w(p + 'k.b') as tf.Tensor1D));
      const V = split(dense(x, this.w(p + 'v.w') as tf.Tensor2D, this.w(p + 'v.b') as tf.Tensor1D));
      // SASRec's residual adds the normalised query input, not the raw one.
      x = tf.add(q, merge(causalAttention(Q, K, V, attention)));
      const h = this.layerNorm(x, p + 'ln2');
      const ff = tf.relu(dense(h, this.w(p + 'ff1.w') as tf.Tensor2D, this.w(p + 'ff1.b') as tf.Tensor1D));
      const ff2 = dense(drop(ff), this.w(p + 'ff2.w') as tf.Tensor2D, this.w(p + 'ff2.b') as tf.Tensor1D);
      x = tf.mul(tf.add(h, drop(ff2)), padMask);
    }
    return this.layerNorm(x, 'out.ln') as tf.Tensor3D;
  }

  private layerNorm(x: tf.Tensor, name: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPSILON)));
    return tf.add(tf.mul(normed, this.w(name + '.g')), this.w(name + '.b'));
  }
}

/** Inverted dropout with a mask from our seeded source (tf.dropout draws from its own, slower RNG). */
function dropoutMask(dropout: Dropout): (x: tf.Tensor) => tf.Tensor {
  const keep = 1 - dropout.rate;
  const scale = 1 / keep;
  return (x) => {
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = dropout.random() < keep ? scale : 0;
    return tf.mul(x, tf.tensor(mask, x.shape));
  };
}
