// The embedding view the approximate index serves from scores every item as the model's own scoreUser does (mf and
// seq, biases included), so ranking from the index changes which items are looked at, never their scores.
import { initBackend } from '../../src/ml/backend';
import { embeddingSource } from '../../src/ml/ann/embeddingSource';
import { SequentialRecommender } from '../../src/ml/models/sequential';
import { loadMatrixFactorization, MF_DEFAULTS } from '../../src/ml/models/matrixFactorization';
import { arrayBytes, jsonBytes } from '../../src/ml/models/artifactCodec';
import type { Recommender } from '../../src/ml/recommender';
import { createRng, randInt, randNormal } from '../../src/ml/random';
import { historyFrom, interactionsFrom } from '../fixtures/plantedInteractions';

const ITEMS = 40;

function expectSameScores(model: Recommender, histories: number[][]): void {
  const source = embeddingSource(model);
  expect(source).not.toBeNull();
  if (!source) return;
  const table = source.table();
  const out = new Float32Array(ITEMS);
  for (const items of histories) {
    const history = historyFrom(items);
    model.scoreUser(history, out);
    const w = source.userVector(history);
    expect(w).not.toBeNull();
    if (!w) continue;
    for (let j = 0; j < ITEMS; j++) {
      expect(source.scoreOf(w, j)).toBeCloseTo(out[j], 3);
      let fromTable = table.bias ? table.bias[j] : 0;
      for (let k = 0; k < table.dim; k++) fromTable += w[k] * table.embeddings[j * table.dim + k];
      expect(fromTable).toBeCloseTo(out[j], 3);
    }
  }
}

describe('embedding source', () => {
  beforeAll(async () => {
    await initBackend({ only: ['wasm'] });
  });

  it('mf: fold-in vector · item + bias, as scoreUser', () => {
    const rng = createRng(3);
    const dim = 8;
    const header = { format: 'freshrec-mf', version: 1, dim, numUsers: 0, numItems: ITEMS, params: { ...MF_DEFAULTS, dim }, trainedEpochs: 1 };
    const mf = loadMatrixFactorization({
      header: jsonBytes(header),
      userEmbeddings: arrayBytes(new Float32Array(0)),
      itemEmbeddings: arrayBytes(Float32Array.from({ length: ITEMS * dim }, () => randNormal(rng))),
      itemBias: arrayBytes(Float32Array.from({ length: ITEMS }, () => randNormal(rng))),
      trainedUsers: arrayBytes(new Uint8Array(0)),
    });
    expectSameScores(mf, [[1], [3, 7, 9], [39, 0]]);
  });

  it('seq: last hidden state · item + its output bias, as scoreUser', async () => {
    const rng = createRng(11);
    const sequences = Array.from({ length: 120 }, () => Array.from({ length: 4 + randInt(rng, 4) }, () => randInt(rng, ITEMS)));
    const seq = new SequentialRecommender({ maxLen: 8, dim: 16, blocks: 1, epochs: 2, negatives: 64, tokensPerBatch: 512, ensembleSeeds: 1 });
    await seq.fit(interactionsFrom(sequences, ITEMS), null, { seed: 5 });
    expectSameScores(seq, [[1], [3, 7, 9], [39, 0, 12, 5]]);
    seq.dispose();
    // An ensemble of networks scores as one wider vector · item + bias model: the mean of their logits.
    const ensemble = new SequentialRecommender({ maxLen: 8, dim: 16, blocks: 1, epochs: 2, negatives: 64, tokensPerBatch: 512, ensembleSeeds: 2, ensembleItems: ITEMS });
    await ensemble.fit(interactionsFrom(sequences, ITEMS), null, { seed: 5 });
    expect(embeddingSource(ensemble)?.dim).toBe(32);
    expectSameScores(ensemble, [[1], [3, 7, 9], [39, 0, 12, 5]]);
    ensemble.dispose();
  }, 120_000);
});
