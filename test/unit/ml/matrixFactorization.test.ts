// Matrix factorisation: recovers planted category taste well above popularity, round-trips through its
// artefacts, leaks no tensors, and its online step is the documented formula.
import { initBackend, tf } from '../../../src/ml/backend';
import { MatrixFactorization, loadMatrixFactorization, onlineUserStep } from '../../../src/ml/models/matrixFactorization';
import { historyOf } from '../../../src/ml/interactions';
import { categoryShoppers, historyFrom, interactionsFrom, popularityScores, rankOf } from '../../fixtures/plantedInteractions';

const PARAMS = { dim: 8, epochs: 20, batchSize: 256, learningRate: 0.05, l2: 0.001, negatives: 8 };

function plantedSplit() {
  const planted = categoryShoppers({ users: 160, categories: 4, perCategory: 20, perUser: 8, seed: 7 });
  // Leave the last item of every user out as its test target.
  const train = interactionsFrom(planted.sequences.map((s) => s.slice(0, -1)), planted.numItems);
  const targets = planted.sequences.map((s) => s[s.length - 1]);
  return { ...planted, train, targets };
}

function hitRate(score: (u: number, out: Float32Array) => void, split: ReturnType<typeof plantedSplit>): number {
  const out = new Float32Array(split.numItems);
  let hits = 0;
  split.targets.forEach((target, u) => {
    score(u, out);
    if (rankOf(out, target, historyOf(split.train, u).items) < 10) hits++;
  });
  return hits / split.targets.length;
}

let split: ReturnType<typeof plantedSplit>;
let model: MatrixFactorization;
let tensorsBeforeFit: number;

beforeAll(async () => {
  await initBackend({ only: ['wasm'] });
  split = plantedSplit();
  tensorsBeforeFit = tf.memory().numTensors;
  model = new MatrixFactorization(PARAMS);
  await model.fit(split.train, null, { seed: 3 });
});

describe('MatrixFactorization', () => {
  it('recovers the planted categories far better than popularity', () => {
    const pop = popularityScores(split.train);
    const popHr = hitRate((_, out) => out.set(pop), split);
    const mfHr = hitRate((u, out) => model.scoreUser(historyOf(split.train, u), out, { userIndex: u }), split);
    expect(mfHr).toBeGreaterThan(0.6);
    expect(mfHr).toBeGreaterThan(2 * popHr);
  });

  it('folds in a user it never saw from their history alone', () => {
    const out = new Float32Array(split.numItems);
    const history = historyFrom([41, 43, 47, 52]); // category 2 (items 40..59)
    model.scoreUser(history, out);
    const top = Array.from(out.keys())
      .filter((i) => !history.items.includes(i))
      .sort((a, b) => out[b] - out[a])
      .slice(0, 8);
    expect(top.filter((i) => split.category(i) === 2).length).toBeGreaterThanOrEqual(6);
  });

  it('scores with an online embedding from the context when given one', () => {
    const w = model.userEmbedding(5) as Float32Array;
    const out = new Float32Array(split.numItems);
    model.scoreUser(historyFrom([]), out, { userEmbedding: w });
    let expected = model.itemBiasOf(9);
    const v = model.itemEmbedding(9);
    for (let k = 0; k < model.dim; k++) expected += w[k] * v[k];
    expect(out[9]).toBeCloseTo(expected, 4);
  });

  it('leaks no tensors in fit or scoreUser', () => {
    expect(tf.memory().numTensors).toBe(tensorsBeforeFit);
    const out = new Float32Array(split.numItems);
    model.scoreUser(historyOf(split.train, 3), out, { userIndex: 3 });
    model.scoreUser(historyFrom([1, 2, 3]), out);
    expect(tf.memory().numTensors).toBe(tensorsBeforeFit);
  });

  it('round-trips through its artefacts', () => {
    const artifacts = model.save();
    expect(Object.keys(artifacts).sort()).toEqual(['header', 'itemBias', 'itemEmbeddings', 'trainedUsers', 'userEmbeddings']);
    // Bytes from a database may start at any offset: copy into an unaligned view.
    const shifted = Object.fromEntries(
      Object.entries(artifacts).map(([name, bytes]) => {
        const buf = new Uint8Array(bytes.length + 1);
        buf.set(bytes, 1);
        return [name, buf.subarray(1)];
      }),
    );
    const loaded = loadMatrixFactorization(shifted);
    expect(loaded.numItems).toBe(model.numItems);
    const a = new Float32Array(split.numItems);
    const b = new Float32Array(split.numItems);
    for (const [history, ctx] of [
      [historyOf(split.train, 11), { userIndex: 11 }],
      [historyFrom([61, 62, 70]), {}],
    ] as const) {
      model.scoreUser(history, a, ctx);
      loaded.scoreUser(history, b, ctx);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('stops early on validation and reports the epochs it chose', async () => {
    const validation = { users: Int32Array.from(split.targets.keys()), targets: Int32Array.from(split.targets) };
    const m = new MatrixFactorization({ ...PARAMS, epochs: 20, patience: 2 });
    await m.fit(split.train, null, { seed: 3, validation });
    const log = m.trainingLog;
    expect(log.length).toBeLessThanOrEqual(20);
    const best = m.tunedParams().epochs as number;
    expect(best).toBeGreaterThan(0);
    const bestNdcg = log[best - 1].validationNdcg as number;
    for (const e of log) expect(e.validationNdcg as number).toBeLessThanOrEqual(bestNdcg);
    m.dispose();
  });
});

describe('onlineUserStep', () => {
  it('applies w ← w + α·(y − σ(w·v + b))·v − λ·w in place', () => {
    const w = Float32Array.from([1, 2]);
    const v = Float32Array.from([0.5, -1]);
    // w·v + b = 0.5 − 2 + 0.25 = −1.25; σ(−1.25) = 0.2227001388; α(y − σ) = 0.1 · 0.7772998612
    const p = onlineUserStep(w, v, 0.25, 1, 0.1, 0.01);
    expect(p).toBeCloseTo(0.2227001388, 8);
    expect(w[0]).toBeCloseTo(1 + 0.07772998612 * 0.5 - 0.01 * 1, 6);
    expect(w[1]).toBeCloseTo(2 + 0.07772998612 * -1 - 0.01 * 2, 6);
  });

  it('raises the touched item for a positive and lowers it for a negative', () => {
    const w = model.userEmbedding(0) as Float32Array;
    const out = new Float32Array(split.numItems);
    const score = (item: number) => {
      model.scoreUser(historyFrom([]), out, { userEmbedding: w });
      return out[item];
    };
    const item = 79;
    const before = score(item);
    for (let i = 0; i < 3; i++) onlineUserStep(w, model.itemEmbedding(item), model.itemBiasOf(item), 1, 0.2, 0.001);
    const raised = score(item);
    expect(raised).toBeGreaterThan(before);
    onlineUserStep(w, model.itemEmbedding(item), model.itemBiasOf(item), 0, 0.2, 0.001);
    expect(score(item)).toBeLessThan(raised);
  });
});
