// Loss and gradients of one matrix-factorisation batch (BPR or BCE over sampled negatives, L2 on the rows),
// in one JS pass over the tables: as TF.js ops the same batch cost ~20 small kernels plus gathers and reads.

export interface MfBatch {
  users: Int32Array;
  items: Int32Array;
  /** [size × negatives] negative item ids, row-major. */
  negatives: Int32Array;
  /** Sample weight of each row. */
  weights: Float32Array;
  size: number;
}

export interface MfTables {
  users: Float32Array;
  items: Float32Array;
  bias: Float32Array;
  dim: number;
}

/** Gradients in the gathered layout RowGradients.add expects: one row per occurrence, not per id. */
export interface MfGradients {
  users: Float32Array;
  items: Float32Array;
  negatives: Float32Array;
  itemBias: Float32Array;
  negativeBias: Float32Array;
}

export function createMfGradients(batchSize: number, negatives: number, dim: number): MfGradients {
  return {
    users: new Float32Array(batchSize * dim),
    items: new Float32Array(batchSize * dim),
    negatives: new Float32Array(batchSize * negatives * dim),
    itemBias: new Float32Array(batchSize),
    negativeBias: new Float32Array(batchSize * negatives),
  };
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Mean over the batch of w·loss(row) + (l2 / size)·(‖u‖² + ‖v‖² + Σ‖n‖² / K), where loss is BPR
 * (mean over negatives of softplus(x⁻ − x⁺)) or BCE (softplus(−x⁺) + Σ softplus(x⁻)), x = u·v + b.
 * Writes the gradient with respect to each gathered row into `out`; returns the loss.
 */
export function mfBatchGradients(
  loss: 'bpr' | 'bce',
  l2: number,
  numNegatives: number,
  tables: MfTables,
  batch: MfBatch,
  out: MfGradients,
): number {
  const { dim: d, users: U, items: V, bias: B } = tables;
  const K = numNegatives;
  const size = batch.size;
  const inv = 1 / size;
  const reg = 2 * l2 * inv;
  let total = 0;
  let regTotal = 0;
  for (let r = 0; r < size; r++) {
    const u = batch.users[r] * d;
    const v = batch.items[r] * d;
    const w = batch.weights[r] * inv;
    const gu = r * d;
    let pos = B[batch.items[r]];
    for (let k = 0; k < d; k++) pos += U[u + k] * V[v + k];
    for (let k = 0; k < d; k++) {
      out.users[gu + k] = reg * U[u + k];
      out.items[gu + k] = reg * V[v + k];
      regTotal += U[u + k] * U[u + k] + V[v + k] * V[v + k];
    }
    let gPos = 0;
    if (loss === 'bce') {
      total += w * softplus(-pos);
      gPos = w * (sigmoid(pos) - 1);
    }
    for (let j = 0; j < K; j++) {
      const slot = r * K + j;
      const n = batch.negatives[slot] * d;
      let neg = B[batch.negatives[slot]];
      for (let k = 0; k < d; k++) neg += U[u + k] * V[n + k];
      let gNeg: number;
      if (loss === 'bpr') {
        total += (w * softplus(neg - pos)) / K;
        gNeg = (w * sigmoid(neg - pos)) / K;
        gPos -= gNeg;
      } else {
        total += w * softplus(neg);
        gNeg = w * sigmoid(neg);
      }
      out.negativeBias[slot] = gNeg;
      const gn = slot * d;
      for (let k = 0; k < d; k++) {
        out.users[gu + k] += gNeg * V[n + k];
        out.negatives[gn + k] = gNeg * U[u + k] + (reg / K) * V[n + k];
        regTotal += (V[n + k] * V[n + k]) / K;
      }
    }
    out.itemBias[r] = gPos;
    for (let k = 0; k < d; k++) {
      out.users[gu + k] += gPos * V[v + k];
      out.items[gu + k] += gPos * U[u + k];
    }
  }
  return total + l2 * inv * regTotal;
}
