// Personalised search through the GraphQL API on real Postgres (tsvector + pg_trgm) and Redis: typo
// tolerance, facets, different orders for shoppers with opposite histories, SEARCH events and current intent,
// suggestions, and bad input.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { collect, gql, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { PERSONAL_FUSION, ensureContentModel, itemId, shopEvents, shopItems } from '../fixtures/searchShop';

const SEARCH = `query($q: String!, $u: ID, $limit: Int, $offset: Int, $filter: RecommendationFilter) {
  search(query: $q, userId: $u, limit: $limit, offset: $offset, filter: $filter) {
    recommId total fuzzy correctedQuery modelVersion
    items { score item { id title category brand } reasons { source weight explanation } }
    facets { categories { value count } brands { value count } }
  }
}`;

interface SearchData {
  search: {
    recommId: string;
    total: number;
    fuzzy: boolean;
    correctedQuery: string | null;
    modelVersion: string;
    items: { score: number; item: { id: string; title: string; category: string; brand: string }; reasons: { source: string; weight: number; explanation: string }[] }[];
    facets: { categories: { value: string; count: number }[]; brands: { value: string; count: number }[] };
  };
}

describe('search', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const search = (variables: Record<string, unknown>) => gqlOk<SearchData>(sys.url, env.clientKey, SEARCH, variables).then((d) => d.search);
  const view = (userId: string, title: string) =>
    gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, { i: { userId, itemId: itemId(title), type: 'VIEW' } });

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
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('finds the right item despite a typo, and a partial last word', async () => {
    const typo = await search({ q: 'hikng boots' });
    expect(typo.fuzzy).toBe(true);
    expect(typo.correctedQuery).toBe('hiking boots');
    expect(typo.items[0].item.title).toBe('Trail Hiking Boots');
    const twoTypos = await search({ q: 'hikin bots' });
    expect(twoTypos.items[0].item.title).toBe('Trail Hiking Boots');
    const partial = await search({ q: 'chef kni' });
    expect(partial.fuzzy).toBe(false);
    expect(partial.items[0].item.title).toBe('Chef Knife');
    expect(partial.items[0].reasons[0]).toEqual({ source: 'search', weight: 1, explanation: "Matches your search 'chef kni'" });
  });

  it('counts matches by category and brand, filters, and pages', async () => {
    const boots = await search({ q: 'boots', limit: 2 });
    expect(boots.total).toBe(3);
    expect(boots.items).toHaveLength(2);
    expect(boots.facets.categories).toEqual([
      { value: 'Fashion', count: 2 },
      { value: 'Outdoor', count: 1 },
    ]);
    expect(boots.facets.brands.reduce((s, b) => s + b.count, 0)).toBe(3);
    const rest = await search({ q: 'boots', limit: 2, offset: 2 });
    expect(rest.items.map((i) => i.item.id)).not.toContain(boots.items[0].item.id);
    expect(new Set([...boots.items, ...rest.items].map((i) => i.item.id)).size).toBe(3);
    const fashion = await search({ q: 'boots', filter: { categories: ['Fashion'] } });
    expect(fashion.total).toBe(2);
    expect(fashion.items.every((i) => i.item.category === 'Fashion')).toBe(true);
  });

  it('orders the same query differently for shoppers with opposite histories', async () => {
    for (const t of ['Hiking Backpack', 'Camping Tent', 'Trekking Poles']) await view('hiker', t);
    for (const t of ['Denim Jacket', 'Wool Scarf', 'Cashmere Sweater']) await view('dandy', t);
    const forHiker = await search({ q: 'boots', u: 'hiker' });
    const forDandy = await search({ q: 'boots', u: 'dandy' });
    const anonymous = await search({ q: 'boots' });
    expect(forHiker.items[0].item.category).toBe('Outdoor');
    expect(forDandy.items[0].item.category).toBe('Fashion');
    expect(forHiker.items.map((i) => i.item.id)).not.toEqual(forDandy.items.map((i) => i.item.id));
    expect(anonymous.modelVersion).toBe('text');
    expect(forHiker.modelVersion).toMatch(/^v\d+/);
    // The reasons split the score between the text match and the models that placed the item.
    const sources = forHiker.items[0].reasons.map((r) => r.source);
    expect(sources).toContain('search');
    expect(sources.some((s) => s !== 'search')).toBe(true);
    expect(forHiker.items[0].reasons.reduce((s, r) => s + r.weight, 0)).toBeCloseTo(1, 5);
  });

  it('stores every search as a SEARCH event carrying its recommId, and the visit leans towards its categories', async () => {
    type Recs = { recommendations: { items: { item: { category: string }; reasons: { source: string; explanation: string }[] }[] } };
    const list = () => gqlOk<Recs>(sys.url, env.clientKey, `query { recommendations(userId: "hiker", limit: 8) { items { item { category } reasons { source explanation } } } }`);
    const kitchenRank = (r: Recs) => {
      const k = r.recommendations.items.findIndex((i) => i.item.category === 'Kitchen');
      return k < 0 ? Infinity : k;
    };
    const before = await list();
    const result = await search({ q: 'knife', u: 'hiker' });
    const stored = await sys.services.db.event.findMany({ where: { userId: 'hiker', type: 'SEARCH' } });
    expect(stored.map((e) => [e.query, e.recommId])).toContainEqual(['knife', result.recommId]);
    const impression = await waitFor(() => sys.services.db.impression.findUnique({ where: { recommId: result.recommId } }));
    expect(impression).toMatchObject({ userId: 'hiker', surface: 'search', context: { query: 'knife' } });
    expect(impression.itemIds[0]).toBe(result.items[0].item.id);
    const after = await list();
    expect(kitchenRank(after)).toBeLessThan(kitchenRank(before));
    expect(after.recommendations.items[kitchenRank(after)].reasons).toContainEqual({ source: 'intent', explanation: "Related to your search 'knife'" });
  });

  it('names a misspelt search’s intent as corrected, and stores the query as typed', async () => {
    const result = await search({ q: 'hikng boots', u: 'trekker' });
    expect(result.correctedQuery).toBe('hiking boots');
    expect((await sys.services.recommendations.intentOf('trekker'))?.query).toBe('hiking boots');
    const stored = await sys.services.db.event.findMany({ where: { userId: 'trekker', type: 'SEARCH' } });
    expect(stored.map((e) => e.query)).toEqual(['hikng boots']);
  });

  it('pushes a watching shopper the list their search leaned, the one their next query returns', async () => {
    type Item = { item: { id: string; category: string }; reasons: { source: string; explanation: string }[] };
    type Pushed = { recommendationsUpdated: { items: Item[] } };
    const FIELDS = `items { item { id category } reasons { source explanation } }`;
    for (const t of ['Hiking Backpack', 'Camping Tent']) await view('camper', t);
    const client = wsClient(sys.url, env.clientKey);
    const sub = collect<Pushed>(client, `subscription { recommendationsUpdated(userId: "camper", limit: 8) { ${FIELDS} } }`, {});
    try {
      await new Promise((r) => setTimeout(r, 300));
      await view('camper', 'Trekking Poles');
      await sub.next(() => true, 15000);
      await search({ q: 'knife', u: 'camper' });
      const leaned = (x: Pushed) => x.recommendationsUpdated.items.some((i) => i.reasons.some((r) => r.source === 'intent' && r.explanation === "Related to your search 'knife'"));
      const pushed = await sub.next(leaned, 15000);
      expect(pushed.recommendationsUpdated.items.some((i) => i.item.category === 'Kitchen')).toBe(true);
      const queried = await gqlOk<{ recommendations: { items: Item[] } }>(sys.url, env.clientKey, `query { recommendations(userId: "camper", limit: 8) { ${FIELDS} } }`);
      expect(pushed.recommendationsUpdated.items.map((i) => i.item.id)).toEqual(queried.recommendations.items.map((i) => i.item.id));
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });

  it('suggests the shopper’s own searches, popular queries and titles for a prefix', async () => {
    for (let k = 0; k < 3; k++) await search({ q: 'Hiking boots', u: `walker-${k}` });
    await search({ q: 'hiking poles', u: 'walker-0' });
    const popular = await waitFor(async () => {
      const d = await gqlOk<{ suggest: string[] }>(sys.url, env.clientKey, `query { suggest(prefix: "hik", limit: 5) }`);
      return d.suggest[0] === 'hiking boots' ? d.suggest : null;
    });
    expect(popular).toEqual(expect.arrayContaining(['Trail Hiking Boots', 'Hiking Backpack']));
    // Misspelt searches were counted as the query they were corrected to.
    expect(popular.some((s) => s.includes('hikng') || s.includes('hikin '))).toBe(false);
    const own = await gqlOk<{ suggest: string[] }>(sys.url, env.clientKey, `query { suggest(prefix: "hiking p", userId: "walker-0") }`);
    expect(own.suggest[0]).toBe('hiking poles');
  });

  it('answers bad input with BAD_USER_INPUT and a clear message', async () => {
    const cases: [string, string][] = [
      [`query { search(query: "   ") { total } }`, 'query must contain at least one letter or digit'],
      [`query { search(query: "boots", limit: 0) { total } }`, 'limit must be an integer between 1 and 200'],
      [`query { search(query: "boots", offset: -1) { total } }`, 'offset must be a non-negative integer'],
      [`query { search(query: "boots", offset: 990, limit: 20) { total } }`, 'offset + limit must not exceed 1000'],
      [`query { search(query: "boots", filter: { minPrice: 5, maxPrice: 1 }) { total } }`, 'filter.minPrice must not exceed filter.maxPrice'],
      [`query { suggest(prefix: "b", limit: 500) }`, 'limit must be an integer between 1 and 50'],
    ];
    for (const [query, message] of cases) {
      const res = await gql(sys.url, env.clientKey, query);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toBe(message);
    }
    const anonymous = await gql(sys.url, null, `query { search(query: "boots") { total } }`);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
