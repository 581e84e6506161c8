// The SASRec-style sequential model: learns planted item chains A→B→C→D (after A, B it ranks C first,
// which popularity cannot), round-trips through its artefacts, and leaks no tensors.
import { initBackend, tf } from '../../../src/ml/backend';
import { SequentialRecommender, loadSequentialRecommender, memberSeed } from '../../../src/ml/models/sequential';
import { createRng, randInt } from '../../../src/ml/random';
import { NegativeSampler } from '../../../src/ml/training/negativeSampler';
import { historyFrom, interactionsFrom, popularityScores, rankOf } from '../../fixtures/plantedInteractions';

const PARAMS = {
  maxLen: 8,
  dim: 16,
  blocks: 1,
  dropout: 0.1,
  epochs: 10,
  learningRate: 0.01,
  negatives: 64, // ≥ the 40 items: the exact full softmax
  tokensPerBatch: 512,
  ensembleSeeds: 1, // one network unless a test asks for an ensemble
};

/** Ten chains of four items with scattered ids; each user walks two or three whole chains in order. */
function chains() {
  const rng = createRng(11);
  const ids = Array.from({ length: 40 }, (_, i) => i);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  const chainList = Array.from({ length: 10 }, (_, c) => ids.slice(4 * c, 4 * c + 4));
  const sequences = Array.from({ length: 300 }, () => {
    const walk = 2 + randInt(rng, 2);
    const seq: number[] = [];
    for (let k = 0; k < walk; k++) seq.push(...chainList[randInt(rng, chainList.length)]);
    return seq;
  });
  return { chainList, data: interactionsFrom(sequences, 40) };
}

let planted: ReturnType<typeof chains>;
let model: SequentialRecommender;
let tensorsBeforeFit: number;

beforeAll(async () => {
  await initBackend({ only: ['wasm'] });
  planted = chains();
  tensorsBeforeFit = tf.memory().numTensors;
  model = new SequentialRecommender(PARAMS);
  await model.fit(planted.data, null, { seed: 5 });
}, 120_000);


describe('SequentialRecommender', () => {
  it('ranks the next item of a chain first, where popularity cannot', () => {
    const out = new Float32Array(40);
    const pop = popularityScores(planted.data);
    let top1 = 0;
    let popTop1 = 0;
    for (const [a, b, c] of planted.chainList) {
      model.scoreUser(historyFrom([a, b]), out);
      if (rankOf(out, c, [a, b]) === 0) top1++;
      if (rankOf(pop, c, [a, b]) === 0) popTop1++;
    }
    expect(top1).toBeGreaterThanOrEqual(9);
    expect(popTop1).toBeLessThanOrEqual(2);
  });

  it('follows the most recent items of a longer history', () => {
    const [a, b, c, d] = planted.chainList[3];
    const [x, y] = planted.chainList[7];
    const out = new Float32Array(40);
    model.scoreUser(historyFrom([x, y, a, b]), out);
    expect(rankOf(out, c, [x, y, a, b])).toBe(0);
    model.scoreUser(historyFrom([a, b, c]), out);
    expect(rankOf(out, d, [a, b, c])).toBe(0);
  });

  it('round-trips through its artefacts', () => {
    const artifacts = model.save();
    expect(Object.keys(artifacts).sort()).toEqual(['header', 'weights']);
    const loaded = loadSequentialRecommender(artifacts);
    const a = new Float32Array(40);
    const b = new Float32Array(40);
    for (const history of [[1], planted.chainList[2].slice(0, 3), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]) {
      model.scoreUser(historyFrom(history), a);
      loaded.scoreUser(historyFrom(history), b);
      for (let i = 0; i < 40; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    }
    loaded.dispose();
  });

  it('gives no evidence (zeros) for an empty history', () => {
    const out = new Float32Array(40).fill(5);
    model.scoreUser(historyFrom([]), out);
    expect(Array.from(out).every((x) => x === 0)).toBe(true);
  });

  it('stops early on validation and reports the epochs it chose', async () => {
    const { data, chainList } = planted;
    // Ten extra users who saw the first two items of a chain; their validation target is the third.
    const walks = Array.from({ length: data.userIds.length }, (_, u) => Array.from(data.items.subarray(data.userOffsets[u], data.userOffsets[u + 1])));
    const withPrefixes = interactionsFrom([...chainList.map(([a, b]) => [a, b]), ...walks], 40);
    const validation = { users: Int32Array.from(chainList.keys()), targets: Int32Array.from(chainList, (c) => c[2]) };
    const m = new SequentialRecommender({ ...PARAMS, epochs: 6, patience: 2 });
    await m.fit(withPrefixes, null, { seed: 2, validation });
    const best = m.tunedParams().epochs as number;
    expect(best).toBeGreaterThan(0);
    expect(m.trainingLog.every((e) => e.validationNdcg !== undefined)).toBe(true);
    m.dispose();
  });
  it('continues from a warm start for its share of the epochs', async () => {
    // With a zero learning rate nothing moves: the warm-started model must score exactly as its source.
    const warm = new SequentialRecommender({ ...PARAMS, learningRate: 0, warmStartEpochShare: 0.25 });
    await warm.fit(planted.data, null, { seed: 9, warmStart: model });
    expect(warm.trainingLog).toHaveLength(Math.ceil(PARAMS.epochs * 0.25));
    const a = new Float32Array(40);
    const b = new Float32Array(40);
    model.scoreUser(historyFrom(planted.chainList[3].slice(0, 2)), a);
    warm.scoreUser(historyFrom(planted.chainList[3].slice(0, 2)), b);
    for (let i = 0; i < 40; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    // A source of another shape is no warm start: a full fit from scratch.
    const cold = new SequentialRecommender({ ...PARAMS, dim: 8, epochs: 2 });
    await cold.fit(planted.data, null, { seed: 9, warmStart: model });
    expect(cold.trainingLog).toHaveLength(2);
    warm.dispose();
    cold.dispose();
  });

  it('trains with the full softmax on a catalogue of at most fullSoftmaxItems, sampled negatives above', async () => {
    const sample = jest.spyOn(NegativeSampler.prototype, 'sample');
    try {
      const counts = async (fullSoftmaxItems: number) => {
        sample.mockClear();
        const m = new SequentialRecommender({ ...PARAMS, negatives: 8, fullSoftmaxItems, epochs: 1 });
        await m.fit(planted.data, null, { seed: 3 });
        m.dispose();
        return new Set(sample.mock.calls.map(([count]) => count));
      };
      expect(await counts(40)).toEqual(new Set([40]));
      expect(await counts(39)).toEqual(new Set([8]));
    } finally {
      sample.mockRestore();
    }
  });

  it('averages the logits of networks fitted with different seeds on a small catalogue, and saves them all', async () => {
    const params = { ...PARAMS, epochs: 3 };
    const single = async (seed: number) => {
      const m = new SequentialRecommender(params);
      await m.fit(planted.data, null, { seed });
      return m;
    };
    const [a, b] = [await single(4), await single(memberSeed(4, 1))];
    const ensemble = new SequentialRecommender({ ...params, ensembleSeeds: 2, ensembleItems: 40 });
    await ensemble.fit(planted.data, null, { seed: 4 });
    expect(ensemble.networkCount).toBe(2);
    const artifacts = ensemble.save();
    expect(Object.keys(artifacts).sort()).toEqual(['header', 'weights', 'weights.1']);
    const loaded = loadSequentialRecommender(artifacts);
    expect(loaded.networkCount).toBe(2);
    const [sa, sb, se, sl] = [0, 1, 2, 3].map(() => new Float32Array(40));
    for (const history of [[1], planted.chainList[2].slice(0, 3), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]) {
      a.scoreUser(historyFrom(history), sa);
      b.scoreUser(historyFrom(history), sb);
      ensemble.scoreUser(historyFrom(history), se);
      loaded.scoreUser(historyFrom(history), sl);
      // The two networks differ (else the mean below proves nothing); the ensemble scores their mean.
      expect(sa.some((x, i) => Math.abs(x - sb[i]) > 0.1)).toBe(true);
      for (let i = 0; i < 40; i++) {
        expect(se[i]).toBeCloseTo((sa[i] + sb[i]) / 2, 4);
        expect(sl[i]).toBeCloseTo(se[i], 5);
      }
    }
    // Above ensembleItems: one network.
    const large = new SequentialRecommender({ ...params, epochs: 1, ensembleSeeds: 2, ensembleItems: 39 });
    await large.fit(planted.data, null, { seed: 4 });
    expect(large.networkCount).toBe(1);
    expect(Object.keys(large.save()).sort()).toEqual(['header', 'weights']);
    for (const m of [a, b, ensemble, loaded, large]) m.dispose();
  });

  it('warm-starts each ensemble member from its own counterpart', async () => {
    const source = new SequentialRecommender({ ...PARAMS, epochs: 2, ensembleSeeds: 2, ensembleItems: 40 });
    await source.fit(planted.data, null, { seed: 6 });
    const warm = new SequentialRecommender({ ...PARAMS, learningRate: 0, ensembleSeeds: 2, ensembleItems: 40 });
    await warm.fit(planted.data, null, { seed: 6, warmStart: source });
    const [x, y] = [new Float32Array(40), new Float32Array(40)];
    source.scoreUser(historyFrom([3, 4]), x);
    warm.scoreUser(historyFrom([3, 4]), y);
    for (let i = 0; i < 40; i++) expect(y[i]).toBeCloseTo(x[i], 5);
    source.dispose();
    warm.dispose();
  });

  it('leaks no tensors in scoreUser, fit or dispose', async () => {
    const before = tf.memory().numTensors;
    const out = new Float32Array(40);
    model.scoreUser(historyFrom([1, 2, 3]), out);
    model.scoreUser(historyFrom([]), out);
    expect(tf.memory().numTensors).toBe(before);
    const other = new SequentialRecommender({ ...PARAMS, epochs: 1 });
    await other.fit(planted.data, null, { seed: 1 });
    other.scoreUser(historyFrom([4, 5]), out);
    other.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBeforeFit);
  });
});
