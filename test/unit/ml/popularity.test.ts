import { emptyHistory } from '../../../src/ml/interactions';
import { PopularityRecommender, loadPopularity } from '../../../src/ml/models/popularity';
import { interactionsFrom } from './syntheticData';

const DAY = 86400;

describe('PopularityRecommender', () => {
  // "old" was bought by 3 users 100 days ago, "new" by 2 users today, "mid" by 1 user 10 days ago.
  const now = 1_700_000_000;
  const data = interactionsFrom([
    { user: 'a', item: 'old', time: now - 100 * DAY },
    { user: 'b', item: 'old', time: now - 100 * DAY },
    { user: 'c', item: 'old', time: now - 100 * DAY },
    { user: 'a', item: 'new', time: now },
    { user: 'b', item: 'new', time: now },
    { user: 'c', item: 'mid', time: now - 10 * DAY },
  ]);
  const items = data.itemIds.map((id) => ({ id, title: id, category: id === 'mid' ? 'tools' : 'toys' }));
  const idx = (id: string) => data.itemIds.indexOf(id);

  it('decays with the half-life: recent beats old at 7 days, old wins without decay', async () => {
    const out = new Float32Array(data.itemIds.length);
    const decayed = new PopularityRecommender({ halfLifeDays: 7 });
    await decayed.fit(data, items);
    decayed.scoreUser(emptyHistory(), out);
    expect(out[idx('new')]).toBeGreaterThan(out[idx('old')]);
    expect(out[idx('new')]).toBeCloseTo(2);
    expect(out[idx('mid')]).toBeCloseTo(Math.pow(2, -10 / 7), 4);

    const plain = new PopularityRecommender({ halfLifeDays: Infinity });
    await plain.fit(data, items);
    plain.scoreUser(emptyHistory(), out);
    expect(out[idx('old')]).toBeGreaterThan(out[idx('new')]);
  });

  it('answers trending per category and overall', async () => {
    const pop = new PopularityRecommender({ halfLifeDays: 7 });
    await pop.fit(data, items);
    expect(Array.from(pop.trending('toys', 5).indices)).toEqual([idx('new'), idx('old')]);
    expect(Array.from(pop.trending('tools', 5).indices)).toEqual([idx('mid')]);
    expect(pop.trending('unknown', 5).indices.length).toBe(0);
    expect(pop.trending(null, 1).indices[0]).toBe(idx('new'));
    expect(pop.categories().sort()).toEqual(['tools', 'toys']);
    const out = new Float32Array(data.itemIds.length);
    pop.categoryScores('tools', out);
    expect(out[idx('old')]).toBe(-Infinity);
    expect(out[idx('mid')]).toBeGreaterThan(0);
  });

  it('folds new events in online', async () => {
    const pop = new PopularityRecommender({ halfLifeDays: 7 });
    await pop.fit(data, items);
    pop.observe(idx('mid'), now + 1, 5);
    expect(pop.trending('tools', 1).scores[0]).toBeGreaterThan(4.9);
    expect(pop.trending(null, 1).indices[0]).toBe(idx('mid'));
    // A brand-new item index grows the arrays.
    pop.observe(data.itemIds.length, now + 2, 1, 'garden');
    expect(pop.numItems).toBe(data.itemIds.length + 1);
    expect(Array.from(pop.trending('garden', 3).indices)).toEqual([data.itemIds.length]);
  });

  it('tunes the half-life on validation and round-trips through save/load', async () => {
    const pop = new PopularityRecommender();
    await pop.fit(data, items, { validation: { users: Int32Array.of(0), targets: Int32Array.of(idx('new')) } });
    expect(typeof pop.tunedParams().halfLifeDays).toBe('number');
    const loaded = loadPopularity(pop.save());
    const a = new Float32Array(pop.numItems);
    const b = new Float32Array(loaded.numItems);
    pop.scoreUser(emptyHistory(), a);
    loaded.scoreUser(emptyHistory(), b);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(loaded.trending('toys', 5).indices)).toEqual(Array.from(pop.trending('toys', 5).indices));
  });
});
