// The bad-input suite: every malformed request gets a clear error code and stores nothing.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';

describe('bad input', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    sys = await startTestSystem(env, { worker: false });
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  async function post(body: string, key = env.adminKey) {
    const res = await fetch(sys.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    return { status: res.status, json: (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] } };
  }

  const track = (input: string) => JSON.stringify({ query: `mutation { trackEvent(input: ${input}) { accepted } }` });
  const trackVars = (input: unknown) => JSON.stringify({ query: `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, variables: { i: input } });

  const cases: [string, string][] = [
    ['malformed JSON body', '{"query": "{ trending { recommId }"'],
    ['malformed GraphQL', JSON.stringify({ query: '{ trending( { recommId }' })],
    ['unknown field', JSON.stringify({ query: '{ trending { nope } }' })],
    ['wrong argument type', JSON.stringify({ query: '{ recommendations(userId: "u", limit: "ten") { recommId } }' })],
    ['unknown enum value', track('{ userId: "u", itemId: "i", type: TELEPORT }')],
    ['missing required field', track('{ itemId: "i", type: VIEW }')],
    ['context that is not an object', trackVars({ userId: 'u', itemId: 'i', type: 'VIEW', context: 'device=mobile' })],
    ['context that is an array', trackVars({ userId: 'u', itemId: 'i', type: 'VIEW', context: [1, 2] })],
    ['oversized context', trackVars({ userId: 'u', itemId: 'i', type: 'VIEW', context: { pad: 'x'.repeat(10000) } })],
    ['control characters in an id', trackVars({ userId: 'u\u0000x', itemId: 'i', type: 'VIEW' })],
    ['control characters in an item id', trackVars({ userId: 'u', itemId: 'i\nj', type: 'VIEW' })],
    ['an id that is too long', trackVars({ userId: 'u'.repeat(1000), itemId: 'i', type: 'VIEW' })],
    ['Infinity as a value', '{"query":"mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }","variables":{"i":{"userId":"u","itemId":"i","type":"RATING","value":1e999}}}'],
    ['NaN as a value', '{"query":"mutation { trackEvent(input: { userId: \\"u\\", itemId: \\"i\\", type: RATING, value: NaN }) { accepted } }"}'],
    ['an impossible date', trackVars({ userId: 'u', itemId: 'i', type: 'VIEW', occurredAt: '2026-13-45T99:00:00Z' })],
    ['a date far in the future', trackVars({ userId: 'u', itemId: 'i', type: 'VIEW', occurredAt: '2999-01-01T00:00:00Z' })],
    ['a search without a query', trackVars({ userId: 'u', type: 'SEARCH' })],
    ['an empty batch', JSON.stringify({ query: 'mutation { trackEvents(inputs: []) { accepted } }' })],
    ['an item without a title', JSON.stringify({ query: 'mutation { upsertItems(items: [{ id: "x", title: "  " }]) }' })],
    ['a negative price', JSON.stringify({ query: 'mutation { upsertItems(items: [{ id: "x", title: "X", price: -1 }]) }' })],
    ['a duplicated item id in one batch', JSON.stringify({ query: 'mutation { upsertItems(items: [{ id: "x", title: "X" }, { id: "x", title: "Y" }]) }' })],
    ['a negative limit', JSON.stringify({ query: '{ trending(limit: -1) { recommId } }' })],
    ['an inverted price filter', JSON.stringify({ query: '{ recommendations(userId: "u", filter: { minPrice: 10, maxPrice: 1 }) { recommId } }' })],
  ];

  it.each(cases)('%s → BAD_USER_INPUT, nothing stored', async (_name, body) => {
    const { status, json } = await post(body);
    expect(status).toBeLessThan(500);
    expect(json.errors?.length).toBeGreaterThan(0);
    expect(json.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await sys.services.db.event.count()).toBe(0);
    expect(await sys.services.db.item.count()).toBe(0);
    expect(await sys.services.db.user.count()).toBe(0);
  });
});
