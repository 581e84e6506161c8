// Matrix products whose gradients avoid transposed matMul: on tfjs-backend-wasm 4.22, matMul with
// transposeA/transposeB falls off the XNNPACK path and runs 5-20x slower than an explicit transpose + matMul.
import * as tf from '@tensorflow/tfjs';

const mm2d = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
});

/** a [m, k] × b [k, n] → [m, n], differentiable in both arguments. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return mm2d(a, b) as tf.Tensor2D;
}

/** x [..., k] × w [k, n] → [..., n]: a dense layer's product, flattened to one 2-D matMul. */
export function dense(x: tf.Tensor, w: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const k = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = matMul2d(x.reshape([-1, k]) as tf.Tensor2D, w);
  if (bias) y = tf.add(y, bias);
  return y.reshape([...lead, w.shape[1]]);
}
