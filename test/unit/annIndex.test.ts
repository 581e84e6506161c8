// The approximate item index against exact search on random data, and the exact fallback when the
// optional native module is missing or the catalogue is small.
import { buildItemVectorIndex, recallAtK, type ItemEmbeddingTable } from '../../src/ml/ann/itemVectorIndex';
import { ExactItemIndex } from '../../src/ml/ann/exactItemIndex';
import { loadHnswlib } from '../../src/ml/ann/hnswItemIndex';
import { createRng, randNormal } from '../../src/ml/random';

function randomTable(n: number, dim: number, seed: number): ItemEmbeddingTable {
  const rng = createRng(seed);
  return {
    embeddings: Float32Array.from({ length: n * dim }, () => randNormal(rng)),
    bias: Float32Array.from({ length: n }, () => randNormal(rng) * 0.3),
    dim,
  };
}

function randomQueries(count: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count * dim }, () => randNormal(rng));
}

// hnswlib-node is an optional dependency: where its native build is missing, only the fallback is tested.
const withHnswlib = loadHnswlib() ? it : it.skip;

describe('item vector index', () => {
  const dim = 16;
  const table = randomTable(3000, dim, 1);
  const queries = randomQueries(100, dim, 2);

  withHnswlib('HNSW finds at least 90% of the exact top 10 on random data', async () => {
    const ann = await buildItemVectorIndex(table, { annMinItems: 1000 });
    expect(ann.kind).toBe('hnsw');
    expect(ann.fallbackReason).toBeNull();
    expect(recallAtK(ann, new ExactItemIndex(table), queries, dim, 10)).toBeGreaterThanOrEqual(0.9);
  });

  withHnswlib('HNSW scores are the inner product plus bias, best first, and skipped items never return', async () => {
    const ann = await buildItemVectorIndex(table, { annMinItems: 1000 });
    const q = queries.subarray(0, dim);
    const got = ann.search(q, 10, (i) => i % 2 === 0);
    expect(got.indices.length).toBe(10);
    got.indices.forEach((i, r) => {
      expect(i % 2).toBe(1);
      let dot = table.bias![i];
      for (let j = 0; j < dim; j++) dot += q[j] * table.embeddings[i * dim + j];
      expect(got.scores[r]).toBeCloseTo(dot, 3);
      if (r > 0) expect(got.scores[r]).toBeLessThanOrEqual(got.scores[r - 1]);
    });
  });

  it('serves exact search, with a reason, when the native module cannot be loaded', async () => {
    const index = await buildItemVectorIndex(table, { annMinItems: 1000, loadModule: () => null });
    expect(index.kind).toBe('exact');
    expect(index.fallbackReason).toMatch(/hnswlib-node/);
    expect(recallAtK(index, new ExactItemIndex(table), queries, dim, 10)).toBe(1);
  });

  it('serves exact search below the configured catalogue size', async () => {
    const index = await buildItemVectorIndex(table, { annMinItems: 3001 });
    expect(index.kind).toBe('exact');
    expect(index.fallbackReason).toBeNull();
    const got = index.search(queries.subarray(0, dim), 5, (i) => i < 10);
    expect(got.indices.length).toBe(5);
    expect(Array.from(got.indices).every((i) => i >= 10)).toBe(true);
  });
});
