// The matrix-factorisation batch loss as TensorFlow.js ops, differentiated by tf.valueAndGrads: the same contract
// as mfBatchGradients. On a native TF.js backend (tfjs-node, tfjs-node-gpu) training uses it; on wasm and cpu the
// hand-written JS pass is ~3x faster, and unit tests hold the two to the same loss and gradients.
import { tf } from '../backend';
import type { MfBatch, MfGradients, MfTables } from './mfBatchGradients';
import { gatherRows } from './tableRows';

/**
 * The loss as a function of the gathered rows: user [B, d], item [B, d], negatives [B, K, d], their biases [B] and
 * [B, K], and the sample weights [B] (a constant). Mirrors mfBatchGradients' definition term for term.
 */
function batchLoss(loss: 'bpr' | 'bce', l2: number, numNegatives: number) {
  return (ue: tf.Tensor, ve: tf.Tensor, ne: tf.Tensor, bi: tf.Tensor, bj: tf.Tensor, w: tf.Tensor): tf.Scalar => {
    const size = ue.shape[0] as number;
    const pos = tf.add(tf.sum(tf.mul(ue, ve), 1), bi); // [B]
    const neg = tf.add(tf.sum(tf.mul(ue.expandDims(1), ne), 2), bj); // [B, K]
    const perRow =
      loss === 'bpr'
        ? tf.mean(tf.softplus(tf.sub(neg, pos.expandDims(1))), 1)
        : tf.add(tf.softplus(tf.neg(pos)), tf.sum(tf.softplus(neg), 1));
    const dataLoss = tf.div(tf.sum(tf.mul(perRow, w)), size);
    const reg = tf.mul(l2 / size, tf.addN([tf.sum(tf.square(ue)), tf.sum(tf.square(ve)), tf.div(tf.sum(tf.square(ne)), numNegatives)]));
    return tf.add(dataLoss, reg) as tf.Scalar;
  };
}

export function mfBatchGradientsTf(loss: 'bpr' | 'bce', l2: number, numNegatives: number, tables: MfTables, batch: MfBatch, out: MfGradients): number {
  const d = tables.dim;
  const size = batch.size;
  const users = batch.users.subarray(0, size);
  const items = batch.items.subarray(0, size);
  const negatives = batch.negatives.subarray(0, size * numNegatives);
  const lossGrads = tf.valueAndGrads(batchLoss(loss, l2, numNegatives) as (...leaves: tf.Tensor[]) => tf.Scalar);
  let value = 0;
  tf.tidy(() => {
    const leaves = [
      tf.tensor2d(gatherRows(tables.users, d, users), [size, d]),
      tf.tensor2d(gatherRows(tables.items, d, items), [size, d]),
      tf.tensor3d(gatherRows(tables.items, d, negatives), [size, numNegatives, d]),
      tf.tensor1d(gatherRows(tables.bias, 1, items)),
      tf.tensor2d(gatherRows(tables.bias, 1, negatives), [size, numNegatives]),
      tf.tensor1d(batch.weights.subarray(0, size)),
    ];
    const { value: v, grads } = lossGrads(leaves);
    // Read inside the tidy so no tensor outlives the step.
    value = (v.dataSync() as Float32Array)[0];
    out.users.set(grads[0].dataSync() as Float32Array);
    out.items.set(grads[1].dataSync() as Float32Array);
    out.negatives.set(grads[2].dataSync() as Float32Array);
    out.itemBias.set(grads[3].dataSync() as Float32Array);
    out.negativeBias.set(grads[4].dataSync() as Float32Array);
  });
  return value;
}
