// Cold start and bundles through the GraphQL API: a shopper with no events is answered from what sells in
// their context, diversified; a new item is found and recommended right after its upsert (placed by the
// content model); frequently-bought-together and complete-the-cart from purchases within one order.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gqlOk, waitFor } from '../utils/graphqlClient';
import { PERSONAL_FUSION, ensureContentModel, itemId, shopEvents, shopItems } from '../fixtures/searchShop';
import { ContextPrior, contextFeatures } from '../../src/domain/recommendations/contextPrior';
import { createLogger } from '../../src/logger';
import { createGenericPlanPool } from '../../src/db/genericPlanPool';

type Listed = { items: { score: number; item: { id: string; title: string; category: string }; reasons: { source: string; weight: number; explanation: string }[] }[] };
const LIST = `items { score item { id title category } reasons { source weight explanation } }`;

describe('cold start and bundles', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const query = <T = Record<string, Listed>>(q: string, variables?: Record<string, unknown>) => gqlOk<T>(sys.url, env.clientKey, q, variables);
  const track = (userId: string, title: string, type: string) =>
    query(`mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, { i: { userId, itemId: itemId(title), type } });

  beforeAll(async () => {
    ensureContentModel();
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await sys.services.items.upsert(shopItems());
    await sys.services.events.trackBatch(shopEvents());
    await sys.services.training.retrain(['pop', 'itemknn', 'content']);
    await waitFor(async () => sys.services.activeModel.get(), 30000);
    const fused = await gqlOk<{ setFusion: { id: string } }>(sys.url, env.adminKey, PERSONAL_FUSION);
    await waitFor(async () => String(sys.services.activeModel.get()?.versionId) === fused.setFusion.id);
    await sys.services.contextPrior.refresh();
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('builds the same context prior a page of events at a time as in one read', async () => {
    const model = sys.services.activeModel.get()!;
    const pool = createGenericPlanPool(env.databaseUrl, 1);
    const paged = new ContextPrior(pool, createLogger('warn'), 300, 7);
    await paged.refresh().finally(() => pool.end());
    const features = [...contextFeatures({ device: 'mobile' }, new Date()), ...contextFeatures({ device: 'desktop', hour: 20, weekday: 2 }, new Date())];
    const rows = sys.services.contextPrior.rowsFor(model, features);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // The same items in the same order; scores as close as the events' decay between the two refreshes allows.
    const pagedRows = paged.rowsFor(model, features);
    expect(pagedRows.map((r) => r.indices)).toEqual(rows.map((r) => r.indices));
    pagedRows.forEach((r, k) => r.scores.forEach((v, j) => expect(v).toBeCloseTo(rows[k].scores[j], 5)));
  });

  it('answers a new shopper from what sells in their context, diversified', async () => {
    const mobile = (await query(`query { recommendations(userId: "newbie-1", limit: 4, context: { device: "mobile" }) { ${LIST} } }`)).recommendations;
    const desktop = (await query(`query { recommendations(userId: "newbie-2", limit: 4, context: { device: "desktop", hour: 20, weekday: 2 } ) { ${LIST} } }`)).recommendations;
    // Toys sell on mobile, kitchen and outdoor on desktop.
    expect(mobile.items[0].item.category).toBe('Toys');
    expect(desktop.items[0].item.category).not.toBe('Toys');
    expect(mobile.items[0].reasons[0]).toMatchObject({ source: 'context', explanation: expect.stringMatching(/^Popular on mobile/) });
    expect(desktop.items[0].reasons.find((r) => r.source === 'context')?.explanation).toBe('Popular on desktop on weekday evenings');
    // At most half of a list from one category (DIVERSITY_MAX_SHARE 0.5).
    for (const list of [mobile, desktop]) {
      const counts = new Map<string, number>();
      for (const i of list.items) counts.set(i.item.category, (counts.get(i.item.category) ?? 0) + 1);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    }
  });

  it('after a first event, serves item-to-item and content neighbours of that item', async () => {
    await track('newbie-3', 'Cast Iron Skillet', 'VIEW');
    const list = (await query(`query { recommendations(userId: "newbie-3", limit: 4) { ${LIST} } }`)).recommendations;
    expect(list.items[0].item.category).toBe('Kitchen');
    const sources = new Set(list.items.flatMap((i) => i.reasons.map((r) => r.source)));
    expect(sources.has('itemknn') || sources.has('content')).toBe(true);
  });

  it('finds and recommends a new item the moment it is upserted', async () => {
    await gqlOk(sys.url, env.adminKey, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, {
      items: [{ id: 'ultralight-hiking-boots', title: 'Ultralight Hiking Boots', description: 'An outdoor favourite from Alpina.', category: 'Outdoor', brand: 'Alpina', tags: ['outdoor', 'line-0'], price: 99 }],
    });
    const found = await query<{ search: { items: { item: { id: string } }[] } }>(`query { search(query: "ultralight") { items { item { id } } } }`);
    expect(found.search.items[0].item.id).toBe('ultralight-hiking-boots');
    // Every process places it as soon as the catalogue change reaches it.
    const similar = await waitFor(async () => {
      const d = await query(`query { similarItems(itemId: "ultralight-hiking-boots", limit: 3) { ${LIST} } }`).catch(() => null);
      return d && d.similarItems.items.length ? d.similarItems : null;
    });
    expect(similar.items[0].item.id).toBe('trail-hiking-boots');
    expect(similar.items[0].reasons[0].source).toBe('content');
    // It has no behavioural evidence yet, so it ranks on its content score alone; a category page shows it.
    await track('hiker-2', 'Trail Hiking Boots', 'VIEW');
    const list = (await query(`query { recommendations(userId: "hiker-2", limit: 8, filter: { categories: ["Outdoor"] }) { ${LIST} } }`)).recommendations;
    const fresh = list.items.find((i) => i.item.id === 'ultralight-hiking-boots');
    expect(fresh).toBeDefined();
    expect(fresh!.reasons.map((r) => r.source)).toEqual(['content']);
    expect(fresh!.reasons.find((r) => r.source === 'content')?.explanation).toBe('Similar to Trail Hiking Boots');
  });

  it('lists items bought together with an item, from purchases in one order', async () => {
    const fbt = (await query(`query { frequentlyBoughtTogether(itemId: "${itemId('Chef Knife')}", limit: 3) { ${LIST} } }`)).frequentlyBoughtTogether;
    expect(fbt.items[0].item.title).toBe('Cutting Board');
    expect(fbt.items[0].reasons).toEqual([{ source: 'bundle', weight: 1, explanation: 'Often bought together with Chef Knife' }]);
    expect(fbt.items).toHaveLength(3);
    expect(fbt.items.map((i) => i.item.title)).not.toContain('Chef Knife');
  });

  it('completes the current cart, and forgets items bought or removed', async () => {
    await track('cart-user', 'Chef Knife', 'ADD_TO_CART');
    await track('cart-user', 'Plush Bear', 'ADD_TO_CART');
    await track('cart-user', 'Plush Bear', 'REMOVE_FROM_CART');
    const cart = (await query(`query { completeTheCart(userId: "cart-user", limit: 3) { ${LIST} } }`)).completeTheCart;
    expect(cart.items[0].item.title).toBe('Cutting Board');
    expect(cart.items[0].reasons[0].explanation).toBe('Goes with Chef Knife in your cart');
    expect(cart.items.map((i) => i.item.title)).not.toContain('Chef Knife');
    await track('cart-user', 'Chef Knife', 'PURCHASE');
    const empty = (await query(`query { completeTheCart(userId: "cart-user") { ${LIST} } }`)).completeTheCart;
    expect(empty.items).toEqual([]);
  });
});
