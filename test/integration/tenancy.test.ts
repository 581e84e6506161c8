// Two shops in one deployment over the real HTTP and WebSocket endpoints, Postgres, Redis and BullMQ workers: the
// tenants share item and user ids but not catalogues, and no query, search, subscription or recommendation made with
// one tenant's keys ever returns the other's items, users or events, guessed ids included; models train per tenant.
import { Client } from 'pg';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { collect, gql, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';
import { tenantDatabaseUrl } from '../../src/app/tenantConfig';

interface Shop {
  id: 'alpha' | 'beta';
  admin: string;
  adminKeyId: string;
  client: string;
}

type Listed = { items: { item: { id: string; title: string } }[] };

// Same planted ids in both shops, titled by shop, plus items only one shop has.
function catalogue(shop: Shop['id']) {
  const shared = plantedItems('p').map((i) => ({ ...i, title: `${shop} ${i.title}`, brand: shop }));
  const own = Array.from({ length: 4 }, (_, k) => ({
    id: `${shop[0]}-only-${k}`,
    title: shop === 'alpha' ? `alpha lantern ${k}` : `beta teapot ${k}`,
    category: shop === 'alpha' ? 'outdoor' : 'kitchen',
    brand: shop,
    tags: [shop],
    price: 5 + k,
  }));
  return [...shared, ...own];
}

function events(shop: Shop['id']) {
  const planted = plantedEvents('p', 40).map((e) => ({ ...e, eventId: `${shop}-${e.eventId}` }));
  const own = (user: string, n: number) =>
    Array.from({ length: n }, (_, k) => ({ eventId: `${shop}-own-${user}-${k}`, userId: user, itemId: `${shop[0]}-only-${k % 4}`, type: k % 2 ? 'ADD_TO_CART' : 'VIEW' }));
  // p-shopper-0 exists in both shops with different histories; each shop also has a shopper of its own.
  return shop === 'alpha' ? [...planted, ...own('p-shopper-0', 2), ...own('alpha-only-user', 3)] : [...planted, ...own('p-shopper-0', 6), ...own('beta-only-user', 3)];
}

/** Every item of a list belongs to the shop: its id is not the other shop's own, and its title is this shop's. */
function expectOwn(shop: Shop['id'], list: Listed) {
  const other = shop === 'alpha' ? 'beta' : 'alpha';
  for (const { item } of list.items) {
    expect(item.id.startsWith(`${other[0]}-only-`)).toBe(false);
    expect(item.title.startsWith(`${shop} `)).toBe(true);
  }
}

const LIST = `items { item { id title } }`;

describe('multi-tenancy: two shops in one deployment', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const shops = {} as Record<Shop['id'], Shop>;

  async function activeModel(shop: Shop): Promise<string | null> {
    return (await gqlOk<{ activeModel: { id: string } | null }>(sys.url, shop.admin, `query { activeModel { id } }`)).activeModel?.id ?? null;
  }

  async function train(shop: Shop): Promise<void> {
    const job = await gqlOk(sys.url, shop.admin, `mutation { retrain(models: ["pop", "itemknn"], full: true) { id } }`);
    await waitFor(async () => {
      const state = await gqlOk(sys.url, shop.admin, `query($id: ID!) { trainingJob(id: $id) { status error } }`, { id: job.retrain.id });
      if (state.trainingJob?.status === 'failed') throw new Error(`retrain failed: ${state.trainingJob.error}`);
      return state.trainingJob?.status === 'completed';
    }, 90000, 200);
  }

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    sys = await startTestSystem(env);
    for (const id of ['alpha', 'beta'] as const) {
      const created = await gqlOk(sys.url, env.adminKey, `mutation($id: ID!) { createTenant(id: $id) { tenant { id } adminKey { id key role } } }`, { id });
      expect(created.createTenant.tenant.id).toBe(id);
      expect(created.createTenant.adminKey.role).toBe('admin');
      const admin = created.createTenant.adminKey.key as string;
      const client = await gqlOk(sys.url, admin, `mutation { createApiKey(role: client, name: "storefront") { key } }`);
      shops[id] = { id, admin, adminKeyId: created.createTenant.adminKey.id, client: client.createApiKey.key };
    }
    for (const shop of Object.values(shops)) {
      await gqlOk(sys.url, shop.admin, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, { items: catalogue(shop.id) });
      const all = events(shop.id);
      for (let i = 0; i < all.length; i += 100) {
        await gqlOk(sys.url, shop.client, `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted } }`, { inputs: all.slice(i, i + 100) });
      }
    }
    // beta leaves searches behind, which suggest could otherwise offer to alpha's shoppers.
    await gqlOk(sys.url, shops.beta.client, `query { search(query: "beta teapot", userId: "p-shopper-1") { total } }`);
    await gqlOk(sys.url, shops.beta.client, `query { search(query: "beta teapot", userId: "p-shopper-2") { total } }`);
  });

  afterAll(async () => {
    await sys?.stop();
    // The tenants' databases (the run's teardown would drop them too; this keeps a long run's server tidy).
    if (env) {
      const admin = new Client({ connectionString: Object.assign(new URL(env.databaseUrl), { pathname: '/postgres' }).toString() });
      await admin.connect();
      for (const id of ['alpha', 'beta']) {
        const name = new URL(tenantDatabaseUrl(env.databaseUrl, id)).pathname.slice(1);
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
      await admin.end();
      await env.drop();
    }
  });

  // Retrains complete only if the workers followed the registry: both tenants got theirs without a restart.
  it('trains models per tenant: a retrain of one leaves the other tenant\'s active model alone', async () => {
    expect(await activeModel(shops.alpha)).toBeNull();
    await train(shops.alpha);
    const alphaModel = await activeModel(shops.alpha);
    expect(alphaModel).not.toBeNull();
    expect(await activeModel(shops.beta)).toBeNull();
    await train(shops.beta);
    const betaModel = await activeModel(shops.beta);
    expect(betaModel).not.toBeNull();
    const betaVersions = await gqlOk(sys.url, shops.beta.admin, `query { modelVersions { id createdAt } }`);
    await train(shops.alpha);
    expect(await activeModel(shops.beta)).toBe(betaModel);
    expect(await gqlOk(sys.url, shops.beta.admin, `query { modelVersions { id createdAt } }`)).toEqual(betaVersions);
    // Nor did either tenant's training touch the default tenant.
    expect(await sys.services.activeModel.get()).toBeNull();
  });

  it('serves each tenant its own catalogue in recommendations, similar items, trending and bundles', async () => {
    for (const shop of Object.values(shops)) {
      const data = await gqlOk(
        sys.url,
        shop.client,
        `query {
          recommendations(userId: "p-shopper-0", limit: 20) { ${LIST} }
          newcomer: recommendations(userId: "${shop.id === 'alpha' ? 'beta' : 'alpha'}-only-user", limit: 20) { ${LIST} }
          similarItems(itemId: "p-outdoor-1", limit: 20) { ${LIST} }
          trending(limit: 50) { ${LIST} }
          frequentlyBoughtTogether(itemId: "p-outdoor-1", limit: 10) { ${LIST} }
          completeTheCart(userId: "p-shopper-0", limit: 10) { ${LIST} }
        }`,
      );
      for (const list of Object.values(data) as Listed[]) expectOwn(shop.id, list);
      expect(data.recommendations.items.length).toBeGreaterThan(0);
      expect(data.trending.items.length).toBeGreaterThan(0);
      expect(data.completeTheCart.items.length).toBeGreaterThan(0);
    }
  });

  it('answers guessed ids of the other tenant as not found or empty', async () => {
    const item = await gqlOk(sys.url, shops.alpha.client, `query { item(id: "b-only-0") { id } shared: item(id: "p-books-1") { title } user(id: "beta-only-user") { id } }`);
    expect(item).toEqual({ item: null, shared: { title: 'alpha books item 1' }, user: null });
    const similar = await gql(sys.url, shops.alpha.client, `query { similarItems(itemId: "b-only-0") { recommId } }`);
    expect(similar.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const fbt = await gql(sys.url, shops.alpha.client, `query { frequentlyBoughtTogether(itemId: "b-only-0") { ${LIST} } }`);
    expect(fbt.errors?.[0]?.extensions?.code ?? (fbt.data?.frequentlyBoughtTogether.items.length === 0 ? 'EMPTY' : 'LEAK')).toMatch(/NOT_FOUND|EMPTY/);
    const beta = await gqlOk(sys.url, shops.beta.client, `query { item(id: "a-only-0") { id } user(id: "alpha-only-user") { id } }`);
    expect(beta).toEqual({ item: null, user: null });
  });

  it('shows each tenant only its own events of a user id both tenants have', async () => {
    const q = `query { user(id: "p-shopper-0") { eventCount events(limit: 100) { eventId itemId } } }`;
    const alpha = (await gqlOk(sys.url, shops.alpha.admin, q)).user;
    const beta = (await gqlOk(sys.url, shops.beta.admin, q)).user;
    expect(alpha.eventCount).toBe(events('alpha').filter((e) => e.userId === 'p-shopper-0').length);
    expect(beta.eventCount).toBe(events('beta').filter((e) => e.userId === 'p-shopper-0').length);
    expect(alpha.eventCount).not.toBe(beta.eventCount);
    expect(alpha.events.every((e: { eventId: string }) => e.eventId.startsWith('alpha-'))).toBe(true);
    expect(beta.events.every((e: { eventId: string }) => e.eventId.startsWith('beta-'))).toBe(true);
  });

  it('searches and suggests within the tenant only', async () => {
    const own = await gqlOk(sys.url, shops.alpha.client, `query { search(query: "lantern", limit: 50) { total ${LIST} } }`);
    expect(own.search.total).toBeGreaterThan(0);
    expectOwn('alpha', own.search);
    for (const query of ['teapot', 'beta teapot', 'beta']) {
      const other = await gqlOk(sys.url, shops.alpha.client, `query($q: String!) { search(query: $q, limit: 50) { ${LIST} } }`, { q: query });
      expectOwn('alpha', other.search);
    }
    // Searches are counted off the request path (QueryLog flushes within a second): once beta's are, alpha must
    // still not be offered them.
    await waitFor(async () => (await gqlOk(sys.url, shops.beta.client, `query { suggest(prefix: "be", limit: 20) }`)).suggest.length > 0);
    const suggestions = await gqlOk(sys.url, shops.alpha.client, `query { a: suggest(prefix: "al", limit: 20) b: suggest(prefix: "be", limit: 20) t: suggest(prefix: "tea", limit: 20) }`);
    expect(suggestions.a.length).toBeGreaterThan(0);
    expect([...suggestions.b, ...suggestions.t].filter((s: string) => /beta|teapot/.test(s))).toEqual([]);
  });

  it('pushes a tenant\'s subscriber nothing for the other tenant\'s events on the same user id', async () => {
    const alphaWs = wsClient(sys.url, shops.alpha.client);
    const betaWs = wsClient(sys.url, shops.beta.client);
    const query = `subscription { recommendationsUpdated(userId: "p-shopper-5", limit: 10) { ${LIST} } }`;
    const alpha = collect<{ recommendationsUpdated: Listed }>(alphaWs, query, {});
    const beta = collect<{ recommendationsUpdated: Listed }>(betaWs, query, {});
    try {
      await new Promise((r) => setTimeout(r, 300));
      await gqlOk(sys.url, shops.beta.client, `mutation { trackEvent(input: { userId: "p-shopper-5", itemId: "b-only-2", type: ADD_TO_CART }) { accepted } }`);
      // beta's subscriber got its push, so the event was processed and published: alpha's got nothing meanwhile.
      const pushed = await beta.next((v) => v.recommendationsUpdated.items.length > 0, 30000);
      expectOwn('beta', pushed.recommendationsUpdated);
      expect(alpha.received).toEqual([]);
      // The control: alpha's subscriber does hear alpha's own events.
      await gqlOk(sys.url, shops.alpha.client, `mutation { trackEvent(input: { userId: "p-shopper-5", itemId: "a-only-2", type: ADD_TO_CART }) { accepted } }`);
      await alpha.next((v) => v.recommendationsUpdated.items.length > 0, 30000);
      for (const push of alpha.received) expectOwn('alpha', push.recommendationsUpdated);
      for (const push of beta.received) expectOwn('beta', push.recommendationsUpdated);
    } finally {
      alpha.dispose();
      beta.dispose();
      await alphaWs.dispose();
      await betaWs.dispose();
    }
  });

  it('lets a tenant\'s keys act on that tenant only', async () => {
    // An admin of alpha writes an item with an id beta has: alpha's copy changes, beta's does not.
    await gqlOk(sys.url, shops.alpha.admin, `mutation { upsertItems(items: [{ id: "p-toys-1", title: "alpha renamed" }]) }`);
    expect((await gqlOk(sys.url, shops.beta.client, `query { item(id: "p-toys-1") { title } }`)).item.title).toBe('beta toys item 1');
    // Keys: alpha's admin neither sees nor revokes beta's.
    const listed = await gqlOk(sys.url, shops.alpha.admin, `query { apiKeys { id } }`);
    expect(listed.apiKeys.map((k: { id: string }) => k.id)).not.toContain(shops.beta.adminKeyId);
    expect(listed.apiKeys.map((k: { id: string }) => k.id)).toContain(shops.alpha.adminKeyId);
    const revoke = await gql(sys.url, shops.alpha.admin, `mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: shops.beta.adminKeyId });
    expect(revoke.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await activeModel(shops.beta)).not.toBeNull();
    // Nor does the default tenant's client see either shop.
    const fallback = await gqlOk(sys.url, env.clientKey, `query { item(id: "p-toys-1") { id } trending { ${LIST} } }`);
    expect(fallback).toEqual({ item: null, trending: { items: [] } });
  });

  it('keeps tenant administration to admins of the default tenant', async () => {
    for (const key of [shops.alpha.admin, shops.alpha.client]) {
      for (const op of [`mutation { createTenant(id: "gamma") { tenant { id } } }`, `mutation { disableTenant(id: "beta") { id } }`, `query { tenants { id } }`]) {
        expect((await gql(sys.url, key, op)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
    }
    const listed = await gqlOk(sys.url, env.adminKey, `query { tenants { id disabledAt } }`);
    expect(listed.tenants.map((t: { id: string }) => t.id)).toEqual(['default', 'alpha', 'beta']);
    for (const id of ['Alpha', 'a', 'x'.repeat(21), 'bad_id', '-x', 'default', 'alpha']) {
      const res = await gql(sys.url, env.adminKey, `mutation($id: ID!) { createTenant(id: $id) { tenant { id } } }`, { id });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('refuses the keys of a disabled tenant over HTTP and WebSocket until it is enabled again', async () => {
    await gqlOk(sys.url, env.adminKey, `mutation { disableTenant(id: "beta") { disabledAt } }`);
    try {
      expect((await gql(sys.url, shops.beta.client, `query { trending { recommId } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      // The workers let go of the disabled tenant.
      await waitFor(async () => !sys.tenants.openTenants().includes('beta'), 30000);
      let ws: ReturnType<typeof createClient> | undefined;
      const closeCode = await new Promise<number>((resolve) => {
        ws = createClient({
          url: sys.url.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { Authorization: `Bearer ${shops.beta.client}` },
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined,
          on: { closed: (event) => resolve((event as { code: number }).code) },
        });
      });
      await ws?.dispose();
      expect(closeCode).toBe(4403);
      // alpha is unaffected.
      expect((await gqlOk(sys.url, shops.alpha.client, `query { trending { ${LIST} } }`)).trending.items.length).toBeGreaterThan(0);
    } finally {
      await gqlOk(sys.url, env.adminKey, `mutation { enableTenant(id: "beta") { id } }`);
    }
    expect((await gqlOk(sys.url, shops.beta.client, `query { item(id: "b-only-1") { title } }`)).item.title).toBe('beta teapot 1');
  });
});
