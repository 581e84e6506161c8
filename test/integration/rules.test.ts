// Merchandising rules, diversity and pagination through the GraphQL API: boost, bury and pin on
// recommendations, similar items and search; out-of-stock items hidden; a bad rule set stores nothing; only
// admins set rules; a rule change reaches another process without a restart; the category cap; pages of one
// recommId never repeat an item.
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { trainPlantedShop } from '../utils/seedPlantedShop';
import { gql, gqlOk, waitFor } from '../utils/graphqlClient';
import { plantedItems } from '../fixtures/plantedShop';

const SET_RULES = `mutation($rules: [RuleInput!]!) { setRules(rules: $rules) { id action factor position categories brands itemIds surfaces } }`;
type Listed = { items: { item: { id: string; category: string; brand: string }; reasons: { source: string; explanation: string }[] }[]; recommId: string };

describe('rules, diversity and pagination', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const setRules = (rules: unknown[]) => gqlOk<{ setRules: { id: string }[] }>(sys.url, env.adminKey, SET_RULES, { rules });
  const recommend = (args: string) =>
    gqlOk<{ recommendations: Listed }>(sys.url, env.clientKey, `query { recommendations(${args}) { recommId items { item { id category brand } reasons { source explanation } } } }`).then(
      (d) => d.recommendations,
    );

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await trainPlantedShop(sys);
  });

  afterEach(async () => {
    await setRules([]);
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('boosts and buries by category, brand and price band', async () => {
    await setRules([{ action: 'BOOST', categories: ['books'], factor: 50 }]);
    const boosted = await recommend(`userId: "p-shopper-0", limit: 4`);
    expect(boosted.items[0].item.category).toBe('books');
    await setRules([{ action: 'BURY', categories: ['outdoor'], factor: 0 }, { action: 'BURY', brands: ['brand-0'], minPrice: 10, maxPrice: 30, factor: 0.001 }]);
    const buried = await recommend(`userId: "p-shopper-0", limit: 4`);
    expect(buried.items.some((i) => i.item.category === 'outdoor' || i.item.brand === 'brand-0')).toBe(false);
  });

  it('pins items to positions on recommendations, similar items and search', async () => {
    await setRules([{ action: 'PIN', itemIds: ['p-toys-7', 'p-toys-8'], position: 2 }]);
    const list = await recommend(`userId: "p-shopper-0", limit: 5`);
    expect(list.items.map((i) => i.item.id).slice(1, 3)).toEqual(['p-toys-7', 'p-toys-8']);
    expect(list.items[1].reasons).toEqual([{ source: 'rule', explanation: 'Featured by the shop' }]);
    const similar = await gqlOk(sys.url, env.clientKey, `query { similarItems(itemId: "p-outdoor-1", limit: 4) { items { item { id } } } }`);
    expect(similar.similarItems.items[1].item.id).toBe('p-toys-7');
    const search = await gqlOk(sys.url, env.clientKey, `query { search(query: "toys item") { items { item { id } } } }`);
    expect(search.search.items[1].item.id).toBe('p-toys-7');
    // A pinned item the query does not match stays out of search results.
    const books = await gqlOk(sys.url, env.clientKey, `query { search(query: "books") { items { item { id } } } }`);
    expect(books.search.items.map((i: { item: { id: string } }) => i.item.id)).not.toContain('p-toys-7');
  });

  it('applies search-only rules to search alone', async () => {
    await setRules([{ action: 'BOOST', brands: ['brand-2'], factor: 10, surfaces: ['SEARCH'] }]);
    const search = await gqlOk(sys.url, env.clientKey, `query { search(query: "kitchen", limit: 3) { items { item { brand } } } }`);
    expect(search.search.items.every((i: { item: { brand: string } }) => i.item.brand === 'brand-2')).toBe(true);
    const rules = await gqlOk(sys.url, env.adminKey, `query { rules { action brands surfaces factor } }`);
    expect(rules.rules).toEqual([{ action: 'BOOST', brands: ['brand-2'], surfaces: ['SEARCH'], factor: 10 }]);
  });

  it('hides out-of-stock items everywhere unless a filter asks for them', async () => {
    await sys.services.items.upsert([{ ...plantedItems().find((i) => i.id === 'p-kitchen-3')!, inStock: false }]);
    await waitFor(async () => {
      const s = await gqlOk(sys.url, env.clientKey, `query { search(query: "kitchen item 3") { items { item { id } } } }`);
      return !s.search.items.some((i: { item: { id: string } }) => i.item.id === 'p-kitchen-3');
    });
    const kitchenShopper = await recommend(`userId: "p-shopper-1", limit: 20`);
    expect(kitchenShopper.items.map((i) => i.item.id)).not.toContain('p-kitchen-3');
    const trending = await gqlOk(sys.url, env.clientKey, `query { trending(limit: 50) { items { item { id } } } }`);
    expect(trending.trending.items.map((i: { item: { id: string } }) => i.item.id)).not.toContain('p-kitchen-3');
    const all = await gqlOk(sys.url, env.clientKey, `query { search(query: "kitchen item 3", filter: { inStockOnly: false }) { items { item { id inStock } } } }`);
    expect(all.search.items[0].item).toEqual({ id: 'p-kitchen-3', inStock: false });
  });

  it('caps the share of one category in a list', async () => {
    await setRules([{ action: 'BOOST', categories: ['outdoor'], factor: 100 }]);
    const list = await recommend(`userId: "p-shopper-0", limit: 6`);
    expect(list.items).toHaveLength(6);
    // DIVERSITY_MAX_SHARE defaults to 0.5: at most 3 of 6 from one category, though the rule favours outdoor.
    expect(list.items.filter((i) => i.item.category === 'outdoor')).toHaveLength(3);
    // Every head of the list respects the share too, so a shorter list is the head of a longer one.
    const head = await recommend(`userId: "p-shopper-0", limit: 3`);
    expect(head.items.map((i) => i.item.id)).toEqual(list.items.slice(0, 3).map((i) => i.item.id));
    // A filter down to one category cannot be diversified: the list is not cut short.
    const only = await recommend(`userId: "p-shopper-0", limit: 6, filter: { categories: ["toys"] }`);
    expect(only.items).toHaveLength(6);
  });

  it('never repeats an item across the pages of one recommId, and pages by offset', async () => {
    const first = await recommend(`userId: "p-shopper-2", limit: 5`);
    const second = await recommend(`userId: "p-shopper-2", limit: 5, recommId: "${first.recommId}"`);
    const third = await recommend(`userId: "p-shopper-2", limit: 5, recommId: "${first.recommId}", offset: 5`);
    expect(second.recommId).toBe(first.recommId);
    const ids = [first, second, third].flatMap((l) => l.items.map((i) => i.item.id));
    expect(ids).toHaveLength(15);
    expect(new Set(ids).size).toBe(15);
    const byOffset = await recommend(`userId: "p-shopper-2", limit: 5, offset: 5`);
    expect(byOffset.items.map((i) => i.item.id).filter((id) => first.items.some((f) => f.item.id === id))).toEqual([]);
    const stranger = await gql(sys.url, env.clientKey, `query { recommendations(userId: "p-shopper-3", recommId: "${first.recommId}") { recommId } }`);
    expect(stranger.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await gql(sys.url, env.clientKey, `query { recommendations(userId: "p-shopper-2", recommId: "no-such-list") { recommId } }`);
    expect(unknown.errors?.[0].message).toMatch(/recommId "no-such-list" is unknown or expired/);
  });

  it('lets only admins read or set rules, and stores nothing of a bad rule set', async () => {
    await setRules([{ id: 'keep-me', action: 'BOOST', tags: ['tag-1'], factor: 2 }]);
    const client = await gql(sys.url, env.clientKey, SET_RULES, { rules: [] });
    expect(client.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const read = await gql(sys.url, env.clientKey, `query { rules { id } }`);
    expect(read.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad: [unknown[], string][] = [
      [[{ action: 'BOOST', categories: ['toys'], factor: 3 }, { action: 'BOOST', categories: ['books'], factor: 0.5 }], 'rules[1].factor of a BOOST rule must be greater than 1'],
      [[{ action: 'PIN', itemIds: ['p-toys-1'] }], 'rules[0]: a PIN rule needs an integer position (1 = first)'],
      [[{ action: 'BURY', factor: 0.5 }], 'rules[0]: a BURY rule needs a condition (categories, brands, tags, itemIds or a price band)'],
      [[{ action: 'BOOST', factor: 2, brands: ['b'], minPrice: 9, maxPrice: 1 }], 'rules[0].minPrice must not exceed rules[0].maxPrice'],
      [[{ id: 'x', action: 'BOOST', factor: 2, tags: ['a'] }, { id: 'x', action: 'BOOST', factor: 2, tags: ['b'] }], 'rule id "x" appears twice'],
    ];
    for (const [rules, message] of bad) {
      const res = await gql(sys.url, env.adminKey, SET_RULES, { rules });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toBe(message);
    }
    const stored = await gqlOk(sys.url, env.adminKey, `query { rules { id } }`);
    expect(stored.rules).toEqual([{ id: 'keep-me' }]);
  });

  it('reaches every process without a restart', async () => {
    const other: Services = await createServices(env.config, createLogger('warn'));
    try {
      await waitFor(async () => other.activeModel.get());
      await setRules([{ action: 'PIN', itemIds: ['p-books-9'], position: 1, surfaces: ['RECOMMENDATIONS'] }]);
      await waitFor(async () => other.rules.list().length === 1);
      const list = await other.recommendations.recommend('p-shopper-0', 3);
      expect(list.items[0].id).toBe('p-books-9');
    } finally {
      await other.close();
    }
  });
});
