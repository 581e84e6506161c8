// The hand-written matrix-factorisation gradients against TensorFlow.js autodiff of the same loss: both paths
// training may take must agree on the loss and on every gathered row's gradient, for BPR and BCE.
import { initBackend } from '../../../src/ml/backend';
import { createMfGradients, mfBatchGradients, type MfBatch, type MfTables } from '../../../src/ml/training/mfBatchGradients';
import { mfBatchGradientsTf } from '../../../src/ml/training/mfBatchGradientsTf';
import { createRng, randInt, randNormal } from '../../../src/ml/random';

const DIM = 8;
const K = 3;
const SIZE = 17;

function problem(seed: number): { tables: MfTables; batch: MfBatch } {
  const rng = createRng(seed);
  const nUsers = 11;
  const nItems = 23;
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => randNormal(rng) * scale);
  return {
    tables: { users: fill(nUsers * DIM, 0.5), items: fill(nItems * DIM, 0.5), bias: fill(nItems, 0.3), dim: DIM },
    batch: {
      // Repeated ids on purpose: gradients are per gathered row, so repeats must not be merged here.
      users: Int32Array.from({ length: SIZE }, () => randInt(rng, nUsers)),
      items: Int32Array.from({ length: SIZE }, () => randInt(rng, nItems)),
      negatives: Int32Array.from({ length: SIZE * K }, () => randInt(rng, nItems)),
      weights: Float32Array.from({ length: SIZE }, () => 0.5 + rng()),
      size: SIZE,
    },
  };
}

function expectClose(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(b[i])));
  expect(worst).toBeLessThan(1e-3);
}

describe('mfBatchGradients', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it.each(['bpr', 'bce'] as const)('agrees with TensorFlow.js autodiff for %s', (loss) => {
    const { tables, batch } = problem(loss === 'bpr' ? 3 : 4);
    const js = createMfGradients(SIZE, K, DIM);
    const tf = createMfGradients(SIZE, K, DIM);
    const lossJs = mfBatchGradients(loss, 0.05, K, tables, batch, js);
    const lossTf = mfBatchGradientsTf(loss, 0.05, K, tables, batch, tf);
    expect(lossJs).toBeCloseTo(lossTf, 4);
    expectClose(js.users, tf.users);
    expectClose(js.items, tf.items);
    expectClose(js.negatives, tf.negatives);
    expectClose(js.itemBias, tf.itemBias);
    expectClose(js.negativeBias, tf.negativeBias);
  });
});
