import type { Interactions, ItemMeta, UserHistory } from '../../../src/ml/interactions';
import type { FitOptions, ModelArtifacts, Recommender } from '../../../src/ml/recommender';
import { evaluateModel, fitOnSplit, sampleIndices } from '../../../src/ml/evaluation/evaluateModel';
import { leaveLastOutSplit } from '../../../src/ml/evaluation/leaveLastOutSplit';
import { chainEvents, interactionsFrom } from './syntheticData';

/** Knows the true next item of every chain: scores it first, and its history items even higher (masking must drop them). */
class ChainOracle implements Recommender {
  readonly kind = 'itemknn' as const;
  fits: { rows: number; validation: boolean; params?: Record<string, unknown> }[] = [];
  constructor(
    private readonly itemIds: string[],
    readonly params: Record<string, unknown> = {},
  ) {}
  get numItems() {
    return this.itemIds.length;
  }
  async fit(data: Interactions, _items: ItemMeta[] | null, opts: FitOptions = {}) {
    this.fits.push({ rows: data.items.length, validation: opts.validation !== undefined, params: opts.params });
  }
  scoreUser(history: UserHistory, out: Float32Array) {
    out.fill(0);
    const last = this.itemIds[history.items[history.items.length - 1]];
    const [chain, pos] = last.split('_');
    const next = this.itemIds.indexOf(`${chain}_${Number(pos) + 1}`);
    // Tours leave a chain's end for the exit item.
    out[next >= 0 ? next : this.itemIds.indexOf('exit')] = 1;
    for (const h of history.items) out[h] = 10;
  }
  save(): ModelArtifacts {
    return {};
  }
  dispose() {}
}

class TunableOracle extends ChainOracle {
  tunedParams() {
    return { tuned: true };
  }
}

describe('evaluateModel', () => {
  const data = interactionsFrom(chainEvents());
  const split = leaveLastOutSplit(data);

  it('scores an oracle perfectly once history is masked, on test and validation', async () => {
    const oracle = new ChainOracle(data.itemIds);
    const test = await evaluateModel(oracle, split, 10);
    expect(test.users).toBe(split.test.users.length);
    expect(test.hitRate).toBe(1);
    expect(test.ndcg).toBe(1);
    expect(test.mrr).toBe(1);
    const validation = await evaluateModel(oracle, split, 10, { stage: 'validation' });
    expect(validation.ndcg).toBe(1);
  });

  it('lets the event loop run while it scores (a retrain scores in the worker that applies online updates)', async () => {
    expect(split.test.users.length).toBeGreaterThan(150);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    try {
      await evaluateModel(new ChainOracle(data.itemIds), split, 10);
    } finally {
      clearInterval(ticker);
    }
    expect(turns).toBeGreaterThan(1);
  });

  it('evaluates a seeded subset when asked', async () => {
    const oracle = new ChainOracle(data.itemIds);
    expect((await evaluateModel(oracle, split, 10, { maxUsers: 17, seed: 3 })).users).toBe(17);
    const a = sampleIndices(100, 10, 4);
    expect(Array.from(a)).toEqual(Array.from(sampleIndices(100, 10, 4)));
    expect(new Set(a).size).toBe(10);
  });

  it('fits once on testTrain for a plain model, twice (validation, then tuned refit) for a tunable one', async () => {
    const plain = await fitOnSplit(() => new ChainOracle(data.itemIds), split, null, { seed: 1 });
    expect((plain.model as ChainOracle).fits).toEqual([{ rows: split.testTrain.items.length, validation: false, params: {} }]);
    expect(plain.validationModel).toBeUndefined();

    const created: TunableOracle[] = [];
    const tuned = await fitOnSplit(
      (p) => {
        const m = new TunableOracle(data.itemIds, p);
        created.push(m);
        return m;
      },
      split,
      null,
      { seed: 1, keepValidationModel: true },
    );
    expect(created).toHaveLength(2);
    expect(created[0].fits).toEqual([{ rows: split.validationTrain.items.length, validation: true, params: {} }]);
    expect(created[1].params).toEqual({ tuned: true });
    expect(created[1].fits[0].validation).toBe(false);
    expect(tuned.validationModel).toBe(created[0]);
    expect(tuned.trainSeconds).toBeGreaterThanOrEqual(0);
    expect(tuned.peakRssMb).toBeGreaterThan(10);
  });
});
