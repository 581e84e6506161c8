// Causal scaled dot-product attention with key padding and attention dropout, forward and backward as
// JS loops. tfjs-backend-wasm runs batched matMul at ~0.5 GFLOP/s (no XNNPACK path for [B, L, L] shapes),
// and the autodiff route also materialises masks and softmax tensors; these loops skip the future and
// padded keys entirely, so short sessions cost only their own length squared.
import * as tf from '@tensorflow/tfjs';

export interface AttentionOptions {
  /**
   * [n, L]: 1 where the position holds an item, 0 for padding. Sequences are left-padded, so each row's
   * valid positions are a suffix; padded queries output zeros.
   */
  valid: Uint8Array;
  /** Dropout rate on the attention weights (training only); 0 for none. */
  dropout: number;
  /** Uniform [0, 1) source for the dropout masks. */
  random?: () => number;
}

/** First valid position of each row; throws when a row's valid positions are not a suffix. */
function suffixStarts(valid: Uint8Array, n: number, L: number): Int32Array {
  const starts = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    let start = L;
    while (start > 0 && valid[b * L + start - 1] === 1) start--;
    for (let i = 0; i < start; i++) {
      if (valid[b * L + i] !== 0) throw new Error('causalAttention: valid positions must be a suffix of each row (left padding)');
    }
    starts[b] = start;
  }
  return starts;
}

/** Σ_c a[ia + c] · b[ib + c] over d entries, four accumulators (d is the head size, usually a multiple of 4). */
function dot(a: Float32Array, ia: number, b: Float32Array, ib: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c + 3 < d; c += 4) {
    s0 += a[ia + c] * b[ib + c];
    s1 += a[ia + c + 1] * b[ib + c + 1];
    s2 += a[ia + c + 2] * b[ib + c + 2];
    s3 += a[ia + c + 3] * b[ib + c + 3];
  }
  for (; c < d; c++) s0 += a[ia + c] * b[ib + c];
  return s0 + s1 + s2 + s3;
}

/** y[iy + c] += alpha · x[ix + c] for c < d. */
function axpy(alpha: number, x: Float32Array, ix: number, y: Float32Array, iy: number, d: number): void {
  for (let c = 0; c < d; c++) y[iy + c] += alpha * x[ix + c];
}

/**
 * out[b, i] = Σ_{valid j ≤ i} softmax_j(q_i·k_j / √d) · v_j, for q, k, v of shape [n, L, d].
 * Differentiable in q, k and v.
 */
export function causalAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, opts: AttentionOptions): tf.Tensor3D {
  const [n, L, d] = q.shape;
  if (opts.valid.length !== n * L) throw new Error('causalAttention: valid mask does not match [n, L]');
  const starts = suffixStarts(opts.valid, n, L);
  const scale = 1 / Math.sqrt(d);
  const keep = 1 - opts.dropout;
  const random = opts.random ?? Math.random;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qT, kT, vT] = args as tf.Tensor[];
    const Q = qT.dataSync() as Float32Array;
    const K = kT.dataSync() as Float32Array;
    const V = vT.dataSync() as Float32Array;
    const out = new Float32Array(n * L * d);
    // Softmax weights per (row, query, key ≤ query), and the dropout multiplier applied to each.
    const A = new Float32Array(n * L * L);
    const M = opts.dropout > 0 ? new Float32Array(n * L * L) : null;
    for (let b = 0; b < n; b++) {
      const base = b * L;
      const start = starts[b];
      for (let i = start; i < L; i++) {
        const qi = (base + i) * d;
        const aBase = (base + i) * L;
        let max = -Infinity;
        for (let j = start; j <= i; j++) {
          const s = dot(Q, qi, K, (base + j) * d, d) * scale;
          A[aBase + j] = s;
          if (s > max) max = s;
        }
        let z = 0;
        for (let j = start; j <= i; j++) {
          const e = Math.exp(A[aBase + j] - max);
          A[aBase + j] = e;
          z += e;
        }
        for (let j = start; j <= i; j++) {
          const a = A[aBase + j] / z;
          A[aBase + j] = a;
          let w = a;
          if (M !== null) {
            const m = random() < keep ? 1 / keep : 0;
            M[aBase + j] = m;
            w *= m;
          }
          if (w !== 0) axpy(w, V, (base + j) * d, out, qi, d);
        }
      }
    }
    return {
      value: tf.tensor3d(out, [n, L, d]),
      gradFunc: (dy: tf.Tensor) => {
        const dO = dy.dataSync() as Float32Array;
        const dQ = new Float32Array(n * L * d);
        const dK = new Float32Array(n * L * d);
        const dV = new Float32Array(n * L * d);
        const dA = new Float64Array(L);
        for (let b = 0; b < n; b++) {
          const base = b * L;
          const start = starts[b];
          for (let i = start; i < L; i++) {
            const qi = (base + i) * d;
            const aBase = (base + i) * L;
            // dA_j = (dO_i · v_j) · m_j and dV_j += a_j m_j dO_i; then the softmax Jacobian.
            let weighted = 0;
            for (let j = start; j <= i; j++) {
              const m = M === null ? 1 : M[aBase + j];
              let g = 0;
              if (m !== 0) {
                const vj = (base + j) * d;
                g = dot(dO, qi, V, vj, d) * m;
                axpy(A[aBase + j] * m, dO, qi, dV, vj, d);
              }
              dA[j] = g;
              weighted += A[aBase + j] * g;
            }
            for (let j = start; j <= i; j++) {
              const ds = A[aBase + j] * (dA[j] - weighted) * scale;
              if (ds === 0) continue;
              const kj = (base + j) * d;
              axpy(ds, K, kj, dQ, qi, d);
              axpy(ds, Q, qi, dK, kj, d);
            }
          }
        }
        return [tf.tensor3d(dQ, [n, L, d]), tf.tensor3d(dK, [n, L, d]), tf.tensor3d(dV, [n, L, d])];
      },
    };
  });
  return op(q, k, v) as tf.Tensor3D;
}
