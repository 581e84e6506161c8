import { historyOf } from '../../../src/ml/interactions';
import { alignItemMeta } from '../../../src/ml/evaluation/eventsCsv';
import { evaluateModel } from '../../../src/ml/evaluation/evaluateModel';
import { leaveLastOutSplit } from '../../../src/ml/evaluation/leaveLastOutSplit';
import { ContentRecommender, loadContent } from '../../../src/ml/models/content';
import { hashToken, itemFeatures, priceBand, words } from '../../../src/ml/models/contentFeatures';
import { PopularityRecommender } from '../../../src/ml/models/popularity';
import { categoryData, interactionsFrom } from './syntheticData';

describe('content features', () => {
  it('tokenises fields into namespaced hashed tokens', () => {
    expect(words('The Big-Red "Ball", 2x')).toEqual(['big', 'red', 'ball', '2x']);
    expect(priceBand(11)).toBe(priceBand(14));
    expect(priceBand(10)).not.toBe(priceBand(100));
    const f = itemFeatures({ id: '7', title: 'Red Ball', category: 'Toys > Balls', brand: 'Acme', tags: ['kids'], price: 5 });
    const tokens = new Set(f.map(([t]) => t));
    for (const t of ['t:red', 't:ball', 'tt:red_ball', 'c:toys', 'c:toys>balls', 'b:acme', 'g:kids', `p:${priceBand(5)}`]) {
      expect(tokens.has(hashToken(t))).toBe(true);
    }
    // No metadata: the id is the only token.
    expect(itemFeatures({ id: '7', title: '7' })).toEqual([[hashToken('id:7'), 1]]);
  });
});

describe('ContentRecommender', () => {
  const { events, catalogue } = categoryData();
  const data = interactionsFrom(events);
  const items = alignItemMeta(data.itemIds, catalogue);
  const split = leaveLastOutSplit(data);

  it('recovers users who buy within one category, clearly above popularity', async () => {
    const content = new ContentRecommender({ popularityBlend: 0 });
    await content.fit(split.testTrain, items);
    const pop = new PopularityRecommender();
    await pop.fit(split.testTrain, items);
    const c = await evaluateModel(content, split, 10);
    const p = await evaluateModel(pop, split, 10);
    // 15 items per category, 5 already seen: a random in-category guess hits 10 of 10.
    expect(c.hitRate).toBeGreaterThan(0.9);
    expect(c.ndcg).toBeGreaterThan(p.ndcg + 0.2);
  });

  it('scores and relates items added after training', async () => {
    const content = new ContentRecommender({ popularityBlend: 0 });
    await content.fit(split.testTrain, items);
    const before = content.numItems;
    const fresh = content.addItem({ id: 'new', title: 'frost thing 99', category: 'cat-5', brand: 'brand-5', tags: ['tag-5'], price: 15 });
    expect(fresh).toBe(before);
    expect(content.numItems).toBe(before + 1);
    // A user of category 5 now sees the new item among the top scores.
    const u = Array.from(split.test.users).find((user) => data.itemIds[split.test.targets[split.test.users.indexOf(user)]].startsWith('k5_'))!;
    const out = new Float32Array(content.numItems);
    content.scoreUser(historyOf(split.testTrain, u), out);
    expect(out[fresh]).toBeGreaterThan(0.5);
    const similar = new Float32Array(content.numItems);
    content.similarItems(fresh, similar);
    expect(similar[data.itemIds.indexOf('k5_0')]).toBeGreaterThan(similar[data.itemIds.indexOf('k4_0')]);
    content.similarItems(data.itemIds.indexOf('k5_1'), similar);
    expect(similar[fresh]).toBeGreaterThan(0.5);
  });

  it('round-trips through save/load with identical scores, added items included', async () => {
    const content = new ContentRecommender();
    await content.fit(split.testTrain, items);
    content.addItem({ id: 'new', title: 'apple thing', category: 'cat-0' });
    const loaded = loadContent(content.save());
    expect(loaded.numItems).toBe(content.numItems);
    const a = new Float32Array(content.numItems);
    const b = new Float32Array(loaded.numItems);
    for (const u of [0, 3, 17]) {
      content.scoreUser(historyOf(split.testTrain, u), a);
      loaded.scoreUser(historyOf(split.testTrain, u), b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('still works without item metadata (id tokens only)', async () => {
    const content = new ContentRecommender();
    await content.fit(split.testTrain, null);
    const m = await evaluateModel(content, split, 10);
    expect(m.users).toBe(split.test.users.length);
    expect(Number.isFinite(m.ndcg)).toBe(true);
  });
});
