import { historyOf, type Interactions, type ItemMeta, type UserHistory } from '../../../src/ml/interactions';
import type { ModelArtifacts, Recommender } from '../../../src/ml/recommender';
import { evaluateFusionWithComponents, evaluateModel, fitOnSplit, type ModelEvaluation } from '../../../src/ml/evaluation/evaluateModel';
import { leaveLastOutSplit } from '../../../src/ml/evaluation/leaveLastOutSplit';
import { alignItemMeta } from '../../../src/ml/evaluation/eventsCsv';
import { assembleFusion, FusedRecommender } from '../../../src/ml/fusion/fusedRecommender';
import { buildCandidateSet, examplesNdcg, type CandidateSet, type FusionExample } from '../../../src/ml/fusion/fusionStrategy';
import { collectFusionExamples, createFusionStrategy, selectFusionStrategy } from '../../../src/ml/fusion/fusionSelection';
import { ReciprocalRankFusion } from '../../../src/ml/fusion/reciprocalRankFusion';
import { WeightedFusion } from '../../../src/ml/fusion/weightedFusion';
import { createRecommender, loadRecommender } from '../../../src/ml/models/registry';
import { createRng } from '../../../src/ml/random';
import { categoryData, interactionsFrom } from './syntheticData';

/**
 * Knows the target of half the users (those of even index): scores it high there; noise elsewhere.
 * Two such experts on opposite halves are each only half right; fused, they are right for everyone.
 */
class HalfExpert implements Recommender {
  readonly kind = 'itemknn' as const;
  constructor(
    private readonly targetOf: Map<number, number>,
    private readonly parity: number,
    readonly numItems: number,
  ) {}
  async fit(_d: Interactions, _i: ItemMeta[] | null) {}
  scoreUser(history: UserHistory, out: Float32Array, ctx?: { userIndex?: number }) {
    const u = ctx?.userIndex ?? 0;
    const rng = createRng(1000 + u * 2 + this.parity);
    for (let i = 0; i < out.length; i++) out[i] = rng();
    const t = this.targetOf.get(u);
    if (t !== undefined && u % 2 === this.parity) out[t] = 1.5;
    else if (t !== undefined) out[t] = 0.9; // still in this expert's top list, just not first
  }
  save(): ModelArtifacts {
    return {};
  }
  dispose() {}
}

function candidateSet(z: number[][], ranks?: number[][]): CandidateSet {
  const size = z[0].length;
  return {
    items: Int32Array.from({ length: size }, (_, j) => j),
    size,
    components: z.length,
    z: Float32Array.from(z.flat()),
    ranks: Float32Array.from((ranks ?? z.map((row) => row.map((v) => row.filter((w) => w > v).length))).flat()),
    historyLength: 3,
  };
}

describe('fusion strategies', () => {
  it('builds candidate sets from each top list, history excluded, with z-scores and ranks', () => {
    const a = Float32Array.of(5, 4, 3, 2, 1, 0);
    const b = Float32Array.of(0, 1, 2, 3, -Infinity, 5);
    const exclude = Uint8Array.of(1, 0, 0, 0, 0, 0);
    const set = buildCandidateSet([a, b], exclude, 2, 1, undefined, new Int32Array(6));
    expect(Array.from(set.items)).toEqual([1, 2, 3, 5]);
    // Component 0 ranks 1 > 2 > 3 > 5; component 1 ranks 5 > 3 > 2 > 1.
    expect(Array.from(set.ranks)).toEqual([0, 1, 2, 3, 3, 2, 1, 0]);
    expect(set.z[0]).toBeGreaterThan(0);
    expect(Math.abs(Array.from(set.z.subarray(0, 4)).reduce((s, v) => s + v, 0))).toBeLessThan(1e-5);
  });

  it('weighted and RRF fuse as documented', () => {
    const set = candidateSet([
      [1, 0, -1],
      [-1, 1, 0],
    ]);
    const out = new Float32Array(3);
    new WeightedFusion([1, 2]).fuse(set, out);
    expect(Array.from(out)).toEqual([-1, 2, -1]);
    new ReciprocalRankFusion(60, [1, 1]).fuse(set, out);
    expect(out[0]).toBeCloseTo(1 / 61 + 1 / 63);
    expect(out[1]).toBeCloseTo(1 / 62 + 1 / 61);
  });

  it('fits weights that combine two complementary experts, each strategy beating both', () => {
    const rng = createRng(4);
    const examples: FusionExample[] = [];
    for (let u = 0; u < 400; u++) {
      const size = 30;
      const target = Math.floor(rng() * size);
      // Expert 0 is sharp on even users, expert 1 on odd users; both are noisy otherwise.
      const z = [0, 1].map((c) => Array.from({ length: size }, (_, j) => (j === target ? (u % 2 === c ? 3 : 0.2) : rng() * 2 - 1)));
      const set = candidateSet(z);
      set.historyLength = u % 2 === 0 ? 2 : 30; // activity level tells the experts apart
      examples.push({ set, target });
    }
    const { strategy, report } = selectFusionStrategy(examples, ['even', 'odd'], { seed: 1 });
    expect(report.bestComponent).toBeDefined();
    for (const name of ['weighted', 'rrf', 'stacking'] as const) {
      expect(report.strategies[name]!).toBeGreaterThan(Math.max(report.components.even, report.components.odd));
    }
    expect(report.beatsBestComponent).toBe(true);
    expect(examplesNdcg(examples, (s, o) => strategy.fuse(s, o))).toBeGreaterThan(0.9);
    // Stacking can even tell the users apart by activity level.
    const stacking = createFusionStrategy('stacking');
    stacking.fit(examples, { seed: 1 });
    expect(examplesNdcg(examples, (s, o) => stacking.fuse(s, o))).toBeGreaterThan(0.95);
    // State round-trips.
    const restored = createFusionStrategy(strategy.name, JSON.parse(JSON.stringify(strategy.state())));
    const a = new Float32Array(30);
    const b = new Float32Array(30);
    strategy.fuse(examples[0].set, a);
    restored.fuse(examples[0].set, b);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('FusedRecommender', () => {
  const { events, catalogue } = categoryData({ users: 240 });
  const data = interactionsFrom(events);
  const split = leaveLastOutSplit(data);
  const items = alignItemMeta(data.itemIds, catalogue);

  it('beats or matches its components on planted data, evaluated like any model', async () => {
    const validationTargets = new Map<number, number>();
    split.validation.users.forEach((u, r) => validationTargets.set(u, split.validation.targets[r]));
    const testTargets = new Map<number, number>();
    split.test.users.forEach((u, r) => testTargets.set(u, split.test.targets[r]));
    const n = data.itemIds.length;
    const fused = assembleFusion(
      [
        { name: 'even', model: new HalfExpert(validationTargets, 0, n) },
        { name: 'odd', model: new HalfExpert(validationTargets, 1, n) },
      ],
      [
        { name: 'even', model: new HalfExpert(testTargets, 0, n) },
        { name: 'odd', model: new HalfExpert(testTargets, 1, n) },
      ],
      split.validationTrain,
      split.validation,
      { seed: 3 },
    );
    const report = fused.validationReport!;
    expect(report.beatsBestComponent).toBe(true);
    const f = (await evaluateModel(fused, split, 10)).ndcg;
    const even = (await evaluateModel(new HalfExpert(testTargets, 0, n), split, 10)).ndcg;
    const odd = (await evaluateModel(new HalfExpert(testTargets, 1, n), split, 10)).ndcg;
    expect(f).toBeGreaterThan(Math.max(even, odd) + 0.1);

    // One pass over the users gives each model exactly the figures of its own evaluation.
    const together = await evaluateFusionWithComponents(fused, split.testTrain, split.test, 10);
    const strip = ({ scoreSeconds: _s, ...m }: ModelEvaluation) => m;
    expect(strip(together.fusion)).toEqual(strip(await evaluateModel(fused, split, 10)));
    expect(strip(together.components.get('even')!)).toEqual(strip(await evaluateModel(new HalfExpert(testTargets, 0, n), split, 10)));
    expect(strip(together.components.get('odd')!)).toEqual(strip(await evaluateModel(new HalfExpert(testTargets, 1, n), split, 10)));
  });

  it('trains through the registry, never ends below its best component on validation, and round-trips', async () => {
    const componentParams = [{}, { tuneEvaluations: 8 }, { tune: false }];
    const fit = await fitOnSplit((p) => createRecommender('fusion', { components: ['pop', 'itemknn', 'content'], componentParams, ...p }), split, items, {
      seed: 5,
    });
    const fused = fit.model as FusedRecommender;
    expect(fused.kind).toBe('fusion');
    expect(fit.params.strategyState).toBeDefined();
    const ndcg = (await evaluateModel(fused, split, 10)).ndcg;
    const pop = await fitOnSplit((p) => createRecommender('pop', p), split, items, { seed: 5 });
    expect(ndcg).toBeGreaterThan((await evaluateModel(pop.model, split, 10)).ndcg);

    const loaded = loadRecommender('fusion', fused.save());
    const a = new Float32Array(fused.numItems);
    const b = new Float32Array(loaded.numItems);
    for (const u of [0, 7]) {
      fused.scoreUser(historyOf(split.testTrain, u), a, { userIndex: u });
      loaded.scoreUser(historyOf(split.testTrain, u), b, { userIndex: u });
      expect(Array.from(b)).toEqual(Array.from(a));
      // History items never come back.
      for (const h of historyOf(split.testTrain, u).items) expect(a[h]).toBe(-Infinity);
    }
  });

  it('collects one example per sampled validation user, target located among candidates', () => {
    const knn = createRecommender('itemknn', { tune: false });
    return knn.fit(split.validationTrain, null).then(() => {
      const examples = collectFusionExamples([knn], split.validationTrain, split.validation, { maxUsers: 50, perComponent: 20 });
      expect(examples).toHaveLength(50);
      for (const e of examples) {
        expect(e.set.size).toBeLessThanOrEqual(20);
        if (e.target >= 0) expect(e.set.items[e.target]).toBeGreaterThanOrEqual(0);
      }
    });
  });
});
