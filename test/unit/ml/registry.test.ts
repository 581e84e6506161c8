import { createRecommender, isRegistered, loadRecommender, registeredKinds } from '../../../src/ml/models/registry';
import { historyOf } from '../../../src/ml/interactions';
import { chainEvents, interactionsFrom } from './syntheticData';

describe('model registry', () => {
  it('registers the non-TensorFlow kinds and fusion, and rejects unknown kinds', () => {
    for (const kind of ['pop', 'itemknn', 'content', 'fusion']) expect(isRegistered(kind)).toBe(true);
    expect(registeredKinds()).toEqual(expect.arrayContaining(['pop', 'itemknn', 'content', 'fusion']));
    expect(isRegistered('toString')).toBe(false);
    expect(() => createRecommender('nope')).toThrow(/unknown model kind "nope"/);
  });

  it.each(['pop', 'itemknn', 'content'])('%s: create -> fit -> save -> load gives identical scores', async (kind) => {
    const data = interactionsFrom(chainEvents({ users: 40 }));
    const model = createRecommender(kind);
    expect(model.kind).toBe(kind);
    await model.fit(data, null, { seed: 1 });
    const loaded = loadRecommender(kind, model.save());
    const a = new Float32Array(model.numItems);
    const b = new Float32Array(loaded.numItems);
    model.scoreUser(historyOf(data, 3), a);
    loaded.scoreUser(historyOf(data, 3), b);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
