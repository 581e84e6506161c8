import { ServingModel, addSignal } from '../../src/domain/models/servingModel';
import type { Recommender } from '../../src/ml/recommender';
import type { ItemMeta } from '../../src/ml/interactions';

/** A component with fixed scores; `growable` ones accept new items scored by `newScore`. */
function fixed(kind: string, scores: number[], growable = false, newScore = 0): Recommender & { addItem?: (m: ItemMeta) => number } {
  const s = [...scores];
  const model: Recommender & { addItem?: (m: ItemMeta) => number } = {
    kind: kind as Recommender['kind'],
    get numItems() {
      return s.length;
    },
    fit: async () => undefined,
    scoreUser: (_h, out) => out.set(s),
    similarItems: (_i, out) => out.set(s),
    save: () => ({}),
    dispose: () => undefined,
  };
  if (growable) model.addItem = () => s.push(newScore) - 1;
  return model;
}

const meta = (id: string): ItemMeta => ({ id, title: id });

describe('ServingModel growth', () => {
  it('adds new catalogue items, scored by the components that can place them and 0 by the others', () => {
    const knn = fixed('itemknn', [1, 0]);
    const content = fixed('content', [0, 1], true, 0.5);
    const model = new ServingModel(1, 'v1', [
      { kind: 'itemknn', model: knn, weight: 1, itemIds: ['x', 'y'] },
      { kind: 'content', model: content, weight: 1, itemIds: ['x', 'y'] },
    ]);
    expect(model.addItems([meta('z'), meta('x'), meta('z')])).toEqual([2]);
    expect(model.itemIds).toEqual(['x', 'y', 'z']);
    const scores = model.score({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) });
    expect(Array.from(scores.fused)).toEqual([1, 1, 0.5]);
    expect(model.shares(scores, 2)).toEqual([{ source: 'content', weight: 1 }]);
    // Histories naming the new item reach the component that knows it.
    const h = model.toHistory([{ itemId: 'z', time: 1, type: 0, weight: 1 }]);
    expect(Array.from(h.items)).toEqual([2]);
    expect(Array.from(model.historyFor('content', h)!.items)).toEqual([2]);
    expect(Array.from(model.historyFor('itemknn', h)!.items)).toEqual([]);
  });

  it('grows components trained on different vocabularies', () => {
    const pop = fixed('pop', [1]);
    const content = fixed('content', [0, 1], true, 0.25);
    const model = new ServingModel(1, 'v1', [
      { kind: 'pop', model: pop, weight: 1, itemIds: ['y'] },
      { kind: 'content', model: content, weight: 2, itemIds: ['x', 'y'] },
    ]);
    model.addItems([meta('w')]);
    expect(model.itemIds).toEqual(['y', 'x', 'w']);
    const scores = model.score({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) });
    // Union order y, x, w: pop has one score (min-max gives 0); content [x 0, y 1, w 0.25] weighs 2.
    expect(Array.from(scores.fused)).toEqual([2, 0, 0.5]);
    const similar = model.similar(2);
    expect(similar.fused[2]).toBe(-Infinity);
  });

  it('credits serving-time signals in the shares', () => {
    const model = new ServingModel(1, 'v1', [{ kind: 'pop', model: fixed('pop', [1, 0]), weight: 1, itemIds: ['a', 'b'] }]);
    const scores = model.score({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) });
    addSignal(scores, 'context', 1, Float32Array.from([1, 1]));
    expect(Array.from(scores.fused)).toEqual([2, 1]);
    expect(model.shares(scores, 0)).toEqual([
      { source: 'pop', weight: 0.5 },
      { source: 'context', weight: 0.5 },
    ]);
    expect(model.shares(scores, 1)).toEqual([{ source: 'context', weight: 1 }]);
  });
});
