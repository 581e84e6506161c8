// The retrain's scoring pieces without services: a served configuration scored on a leave-last-out split
// through its own vocabulary, fusion weights fitted on validation, and RRF's rank view of a component.
import type { Recommender } from '../../src/ml/recommender';
import type { UserHistory } from '../../src/ml/interactions';
import { leaveLastOutSplit } from '../../src/ml/evaluation/leaveLastOutSplit';
import { packByUser } from '../../src/domain/training/trainingDataset';
import { ServedModelOnSplit, evaluateServed, servingModelOf } from '../../src/domain/training/servedEvaluation';
import { fitFusion } from '../../src/domain/training/fusionFitting';
import { ReciprocalRankScores, RRF_K } from '../../src/domain/models/fusionStrategy';
import type { ServingComponent } from '../../src/domain/models/servingModel';

const ITEMS = Array.from({ length: 20 }, (_, i) => `i${i}`);

/**
 * Two groups of 20 shoppers: group 0 walks items 0..9 in steps of one (a, a+1, a+2, a+3 mod 10), group 1
 * walks items 10..19 the same way. Every shopper has 4 events, so each has a validation and a test target.
 */
function twoGroupSplit() {
  const users: number[] = [];
  const items: number[] = [];
  const times: number[] = [];
  const itemIndex = new Map<string, number>();
  for (let u = 0; u < 40; u++) {
    const base = u < 20 ? 0 : 10;
    for (let s = 0; s < 4; s++) {
      const id = `i${base + ((u + s) % 10)}`;
      if (!itemIndex.has(id)) itemIndex.set(id, itemIndex.size);
      users.push(u);
      items.push(itemIndex.get(id) as number);
      times.push(1000 * u + s);
    }
  }
  const n = users.length;
  const data = packByUser(users, items, times, new Array(n).fill(0), new Array(n).fill(1), Array.from({ length: 40 }, (_, u) => `u${u}`), [...itemIndex.keys()]);
  return leaveLastOutSplit(data);
}

/** Knows group `g`'s walk: after item x of its group the next one scores 1; for other shoppers it guesses its own group. */
function groupExpert(g: 0 | 1): Recommender {
  const own = (i: number) => (g === 0 ? i < 10 : i >= 10);
  return {
    kind: g === 0 ? 'itemknn' : 'seq',
    numItems: ITEMS.length,
    fit: async () => undefined,
    scoreUser: (h: UserHistory, out: Float32Array) => {
      out.fill(0);
      const last = h.items.length ? h.items[h.items.length - 1] : -1;
      if (last >= 0 && own(last)) {
        const base = g === 0 ? 0 : 10;
        for (let i = base; i < base + 10; i++) out[i] = 0.5;
        out[base + ((last - base + 1) % 10)] = 1;
      } else {
        for (let i = 0; i < ITEMS.length; i++) if (own(i)) out[i] = 1 - i / 100;
      }
    },
    save: () => ({}),
    dispose: () => undefined,
  };
}

const component = (model: Recommender, weight = 1, itemIds = ITEMS): ServingComponent => ({ kind: model.kind, model, weight, itemIds });

describe('retrain scoring', () => {
  const split = twoGroupSplit();

  it('scores a served configuration through its own vocabulary, like serving', async () => {
    const alone = await evaluateServed(servingModelOf('a', 'weighted', [component(groupExpert(0))]), split);
    expect(alone.users).toBe(40);
    expect(alone.hitRate).toBeCloseTo(0.5); // it finds every target of its own group and none of the other
    // A model that never saw half the items cannot recommend them (they score -Infinity, not 0).
    const known = ITEMS.slice(0, 10);
    const small = component({ ...groupExpert(0), numItems: known.length }, 1, known);
    const view = new ServedModelOnSplit(servingModelOf('h', 'weighted', [small]), split.all.itemIds);
    const out = new Float32Array(split.all.itemIds.length);
    view.scoreUser({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) }, out);
    split.all.itemIds.forEach((id, i) => expect([id, out[i] === -Infinity]).toEqual([id, !known.includes(id)]));
    expect((await evaluateServed(servingModelOf('h', 'weighted', [small]), split)).hitRate).toBeCloseTo(0.5);
  });

  it('fits a fusion on validation that beats each component, and it holds on the test targets as served', async () => {
    const parts = [component(groupExpert(0)), component(groupExpert(1))];
    const fit = await fitFusion(parts, split);
    expect(fit.report.users).toBe(40);
    // Validation users are split in halves (fit / compare), so a component alone scores about 0.5 on the compare half.
    expect(Math.max(...Object.values(fit.report.components))).toBeLessThan(0.8);
    expect(fit.report.strategies[fit.strategy]).toBeGreaterThan(Math.max(...Object.values(fit.report.components)) + 0.15);
    expect(fit.weights.every((w) => w > 0)).toBe(true);
    const spec = fit.strategy === 'rrf' ? { strategy: 'rrf', rrfK: fit.rrfK } : { strategy: fit.strategy };
    const fused = await evaluateServed(servingModelOf('f', spec, parts.map((p, k) => ({ ...p, weight: fit.weights[k] }))), split);
    const best = Math.max(...(await Promise.all(parts.map(async (p) => (await evaluateServed(servingModelOf('c', 'weighted', [p]), split)).ndcg))));
    expect(fused.ndcg).toBeGreaterThan(best + 0.2);
  });

  it('turns a component’s scores into reciprocal ranks for RRF, keeping its order', () => {
    const inner: Recommender = { ...groupExpert(0), scoreUser: (_h, out) => out.set(ITEMS.map((_, i) => (i === 3 ? -Infinity : i))) };
    const out = new Float32Array(ITEMS.length);
    new ReciprocalRankScores(inner).scoreUser({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) }, out);
    expect(out[19]).toBeCloseTo(1 / (RRF_K + 1));
    expect(out[18]).toBeCloseTo(1 / (RRF_K + 2));
    expect(out[3]).toBe(0);
  });
});
