// Abuse limits over the real transport: per-key rate limits with a retry hint, query depth and size
// limits, and oversized batches, each answered with a clear code.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gql } from '../utils/graphqlClient';

describe('abuse limits', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '5', RATE_LIMIT_BURST: '10' });
    sys = await startTestSystem(env, { worker: false });
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('refuses requests past the key budget with RATE_LIMITED and a retry hint, per key', async () => {
    const results = [];
    for (let i = 0; i < 15; i++) {
      const res = await fetch(sys.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.clientKey}` },
        body: JSON.stringify({ query: '{ trending(limit: 1) { recommId } }' }),
      });
      results.push({ status: res.status, retry: res.headers.get('retry-after'), body: (await res.json()) as any });
    }
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(limited[0].body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(limited[0].body.errors[0].extensions.retryAfterMs).toBeGreaterThan(0);
    expect(Number(limited[0].retry)).toBeGreaterThanOrEqual(1);
    // Another key has its own budget.
    const admin = await gql(sys.url, env.adminKey, '{ trending(limit: 1) { recommId } }');
    expect(admin.errors).toBeUndefined();
  });

  it('rejects queries nested too deep or selecting too much', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // let the admin bucket refill
    const ordinary = `{ recommendations(userId: "u") { items { item { id } reasons { source } } } }`;
    expect((await gql(sys.url, env.adminKey, ordinary)).errors).toBeUndefined();
    const tooDeep = `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`;
    const res = await gql(sys.url, env.adminKey, tooDeep);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/nested/);
    const wide = `{ ${Array.from({ length: 400 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const wideRes = await gql(sys.url, env.adminKey, wide);
    expect(wideRes.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(wideRes.errors?.[0].message).toMatch(/selects/);
  });

  it('rejects oversized batches and bodies without storing anything', async () => {
    await new Promise((r) => setTimeout(r, 2500));
    const inputs = Array.from({ length: 1001 }, (_, i) => ({ userId: 'big', itemId: `i${i}`, type: 'VIEW' }));
    const res = await gql(sys.url, env.adminKey, `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted } }`, { inputs });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await sys.services.db.event.count({ where: { userId: 'big' } })).toBe(0);
    const huge = await fetch(sys.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(3 * 1024 * 1024) } }),
    });
    expect(huge.status).toBe(413);
  });
});
