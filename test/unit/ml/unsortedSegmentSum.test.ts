// The JS UnsortedSegmentSum (and row-gather) kernels for wasm agree with the cpu backend, and an
// embedding table trains on wasm to the same weights as on cpu.
import { initBackend, tf } from '../../../src/ml/backend';

beforeAll(async () => {
  const info = await initBackend({ only: ['wasm'] });
  expect(info.name).toBe('wasm');
});

afterEach(async () => {
  await tf.setBackend('wasm');
});

async function onBackend<T>(name: string, f: () => T): Promise<T> {
  await tf.setBackend(name);
  return f();
}

/** Same shape and values up to float32 rounding (the backends add in different orders). */
function expectClose(actual: unknown, expected: unknown): void {
  const a = [actual].flat(Infinity as 1) as number[];
  const b = [expected].flat(Infinity as 1) as number[];
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
}

function values(shape: number[], seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 7.13 + i * 1.37));
}

describe('UnsortedSegmentSum on wasm', () => {
  it.each([
    { shape: [7, 3], ids: [0, 2, 2, 4, 1, 0, 4], segments: 5 },
    { shape: [6, 2, 3], ids: [3, 3, 0, 1, 1, 3], segments: 4 },
    { shape: [5], ids: [1, 1, 0, 2, 2], segments: 3 },
    { shape: [4, 2], ids: [0, -1, 1, 9], segments: 2 }, // out-of-range ids are dropped, as TensorFlow does
  ])('matches cpu for x $shape', async ({ shape, ids, segments }) => {
    const x = values(shape, shape.length);
    const run = () =>
      tf.tidy(() => {
        const out = tf.unsortedSegmentSum(tf.tensor(x, shape), tf.tensor1d(ids, 'int32'), segments);
        return { shape: out.shape, values: out.arraySync() };
      });
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    expect(wasm.shape).toEqual(cpu.shape);
    expectClose(wasm.values, cpu.values);
  });

  it('is the gradient of tf.gather', async () => {
    const table = values([6, 4], 3);
    const ids = [5, 0, 5, 2];
    const grad = () =>
      tf.tidy(() => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d(ids, 'int32')))));
        return g(tf.tensor2d(table, [6, 4])).arraySync();
      });
    const cpu = await onBackend('cpu', grad);
    const wasm = await onBackend('wasm', grad);
    expectClose(wasm, cpu);
  });
});

describe('row gather on wasm', () => {
  it('matches cpu for rows of a matrix, a vector and a 2-D index', async () => {
    const cases: [number[], number[], number[]][] = [
      [[5, 3], [4, 0, 4, 2], [4]],
      [[6], [1, 5, 5], [3]],
      [[4, 2, 2], [3, 1, 0, 2, 2, 1], [2, 3]],
    ];
    for (const [shape, idx, idxShape] of cases) {
      const x = values(shape, 5);
      const run = () => tf.tidy(() => tf.gather(tf.tensor(x, shape), tf.tensor(idx, idxShape, 'int32')).arraySync());
      expect(await onBackend('wasm', run)).toEqual(await onBackend('cpu', run));
    }
  });

  it('hands other axes to the stock kernel', async () => {
    const x = values([3, 4], 9);
    const run = () => tf.tidy(() => tf.gather(tf.tensor2d(x, [3, 4]), tf.tensor1d([3, 0], 'int32'), 1).arraySync());
    expect(await onBackend('wasm', run)).toEqual(await onBackend('cpu', run));
  });

  it('rejects out-of-range indices', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.tidy(() => tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([2], 'int32')))).toThrow(/not in \[0, 1\]/);
  });
});

describe('an embedding model', () => {
  it('trains on wasm to the same weights as on cpu', async () => {
    const users = [0, 1, 2, 3, 0, 1, 2, 3];
    const items = [1, 2, 3, 4, 5, 0, 2, 4];
    const labels = [1, 1, 1, 1, 0, 0, 0, 0];
    const train = () => {
      const [U, V] = tf.tidy(() => [tf.variable(tf.tensor2d(values([4, 3], 1), [4, 3])), tf.variable(tf.tensor2d(values([6, 3], 2), [6, 3]))]);
      const opt = tf.train.adam(0.05);
      for (let step = 0; step < 20; step++) {
        tf.tidy(() => {
          opt.minimize(() => {
            const logits = tf.sum(tf.mul(tf.gather(U, tf.tensor1d(users, 'int32')), tf.gather(V, tf.tensor1d(items, 'int32'))), 1);
            return tf.losses.sigmoidCrossEntropy(tf.tensor1d(labels), logits) as tf.Scalar;
          });
        });
      }
      const out = { U: U.arraySync(), V: V.arraySync() };
      opt.dispose();
      tf.dispose([U, V]);
      return out;
    };
    const cpu = await onBackend('cpu', train);
    const before = tf.memory().numTensors;
    const wasm = await onBackend('wasm', train);
    expect(tf.memory().numTensors).toBe(before);
    // The rows moved (the gradient reached them) ...
    expect(wasm.V[4]).not.toEqual(Array.from(values([6, 3], 2).subarray(12, 15)));
    // ... exactly as on cpu, up to float rounding.
    const flat = (m: number[][]) => m.flat();
    const diff = Math.max(...flat(wasm.V).map((v, i) => Math.abs(v - flat(cpu.V)[i])), ...flat(wasm.U).map((v, i) => Math.abs(v - flat(cpu.U)[i])));
    expect(diff).toBeLessThan(1e-4);
  });
});
