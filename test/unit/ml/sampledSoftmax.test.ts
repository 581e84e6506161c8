// The fused softmax cross-entropy kernel against the loss written out plainly: its value, and its gradients
// against central finite differences, over the whole catalogue and over sampled negatives with a correction.
import { initBackend, tf } from '../../../src/ml/backend';
import { sampledSoftmaxLoss, type LogitCorrection } from '../../../src/ml/kernels/sampledSoftmax';
import { createRng, randNormal } from '../../../src/ml/random';

const P = 4;
const TARGETS = Int32Array.from([0, 3, 6, 3]);

interface Problem {
  pos: number[];
  /** [P, S] logits of the negatives. */
  neg: number[];
  negIds: Int32Array;
  correction?: LogitCorrection;
}

function logits(rng: () => number, n: number): number[] {
  return Array.from({ length: n }, () => randNormal(rng) * 2);
}

/** Mean over rows of −log softmax of the target among itself and the negatives that are not the target. */
function plainLoss({ negIds, correction }: Problem, pos: number[], neg: number[]): number {
  const S = negIds.length;
  let total = 0;
  for (let p = 0; p < P; p++) {
    const row = [pos[p] + (correction?.pos[p] ?? 0)];
    for (let s = 0; s < S; s++) if (negIds[s] !== TARGETS[p]) row.push(neg[p * S + s] + (correction?.neg[s] ?? 0));
    const m = Math.max(...row);
    total += Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0)) + m - row[0];
  }
  return total / P;
}

function expectKernelMatchesPlainLoss(problem: Problem): void {
  const { pos, neg, negIds, correction } = problem;
  const S = negIds.length;
  const kernel = (a: tf.Tensor, b: tf.Tensor) => sampledSoftmaxLoss(a as tf.Tensor1D, b as tf.Tensor2D, TARGETS, negIds, correction);
  expect(kernel(tf.tensor1d(pos), tf.tensor2d(neg, [P, S])).dataSync()[0]).toBeCloseTo(plainLoss(problem, pos, neg), 5);

  const [gPos, gNeg] = tf.grads(kernel)([tf.tensor1d(pos), tf.tensor2d(neg, [P, S])]).map((g) => g.dataSync());
  const h = 1e-2;
  const numeric = (values: number[], k: number, at: (v: number[]) => number) => {
    const up = values.slice();
    const down = values.slice();
    up[k] += h;
    down[k] -= h;
    return (at(up) - at(down)) / (2 * h);
  };
  for (let p = 0; p < P; p++) expect(gPos[p]).toBeCloseTo(numeric(pos, p, (v) => plainLoss(problem, v, neg)), 3);
  for (let k = 0; k < P * S; k++) expect(gNeg[k]).toBeCloseTo(numeric(neg, k, (v) => plainLoss(problem, pos, v)), 3);
}

describe('sampledSoftmaxLoss', () => {
  beforeAll(async () => {
    await initBackend({ only: ['cpu'] });
  });

  it('is the full-softmax cross-entropy when every item is a negative', () => {
    const rng = createRng(7);
    const N = 7;
    // Each row's own target column among the negatives carries no loss and no gradient.
    expectKernelMatchesPlainLoss({ pos: logits(rng, P), neg: logits(rng, P * N), negIds: Int32Array.from({ length: N }, (_, i) => i) });
  });

  it('applies the correction to sampled negatives and leaves out a negative equal to the target', () => {
    const rng = createRng(8);
    const negIds = Int32Array.from([5, 3, 9, 1, 12]); // 3 is row 1's and row 3's target
    const correction = { pos: Float32Array.from(logits(rng, P)), neg: Float32Array.from(logits(rng, negIds.length)) };
    expectKernelMatchesPlainLoss({ pos: logits(rng, P), neg: logits(rng, P * negIds.length), negIds, correction });
  });
});
