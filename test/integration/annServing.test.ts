// The approximate item index in the running system: with ANN_MIN_ITEMS below the catalogue, a trained mf version is
// indexed before it is served (services' swap hook), and recommendations over GraphQL come from it, filters kept.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gqlOk, waitFor } from '../utils/graphqlClient';
import { itemId, shopEvents, shopItems } from '../fixtures/searchShop';

type Listed = { recommendations: { items: { item: { id: string; category: string }; reasons: { source: string }[] }[] } };

describe('serving from the approximate item index', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv({ ANN_MIN_ITEMS: '10', RATE_LIMIT_PER_SECOND: '0' });
    sys = await startTestSystem(env);
    await sys.services.items.upsert(shopItems());
    await sys.services.events.trackBatch(shopEvents());
    await sys.services.training.retrain(['mf']);
    await waitFor(async () => sys.services.activeModel.get(), 60000);
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('indexes the mf version before serving it, and lists come from it with filters and seen items respected', async () => {
    const model = sys.services.activeModel.get();
    expect(model?.label).toMatch(/mf/);
    expect(model?.itemIndex('mf')?.kind).toBe('ivf');
    const viewed = shopItems()[0];
    await gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
      i: { userId: 'ann-shopper', itemId: itemId(viewed.title), type: 'VIEW' },
    });
    const category = shopItems()[5].category;
    const query = `query($f: RecommendationFilter) { recommendations(userId: "ann-shopper", limit: 3, filter: $f) { items { item { id category } reasons { source } } } }`;
    const plain = await gqlOk<Listed>(sys.url, env.clientKey, query);
    expect(plain.recommendations.items.length).toBe(3);
    expect(plain.recommendations.items.some((i) => i.reasons.some((r) => r.source === 'mf'))).toBe(true);
    expect(plain.recommendations.items.map((i) => i.item.id)).not.toContain(itemId(viewed.title));
    const filtered = await gqlOk<Listed>(sys.url, env.clientKey, query, { f: { categories: [category] } });
    expect(filtered.recommendations.items.length).toBeGreaterThan(0);
    for (const i of filtered.recommendations.items) expect(i.item.category).toBe(category);
  });
});
