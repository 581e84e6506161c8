// Faults: a request-path statement stuck behind a lock is cancelled after DB_STATEMENT_TIMEOUT_MS and the client is
// told SERVICE_UNAVAILABLE, with nothing stored; the same event sent again once the lock is gone is accepted once.
import { Client } from 'pg';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gql, gqlOk } from '../utils/graphqlClient';

const TRACK = `mutation($i: EventInput!) { trackEvent(input: $i) { accepted duplicate } }`;

describe('a statement stuck behind a lock', () => {
  let env: TestEnv;
  let sys: TestSystem;
  let holder: Client;

  beforeAll(async () => {
    env = await createTestEnv({ DB_STATEMENT_TIMEOUT_MS: '500' });
    sys = await startTestSystem(env);
    holder = new Client({ connectionString: env.databaseUrl });
    await holder.connect();
  });

  afterAll(async () => {
    await holder?.end();
    await sys?.stop();
    await env?.drop();
  });

  it('answers SERVICE_UNAVAILABLE within the timeout, stores nothing, and accepts the retry once the lock is gone', async () => {
    const event = { eventId: 'locked-1', userId: 'locked-user', itemId: 'locked-item', type: 'VIEW' };
    // Another session inserts the same eventId and keeps its transaction open: the API's insert must wait for it
    // (the unique index cannot tell yet whether the row will exist).
    await holder.query('BEGIN');
    await holder.query(`INSERT INTO users (id) VALUES ('locked-holder')`);
    await holder.query(`INSERT INTO events (event_id, user_id, type, occurred_at) VALUES ('locked-1', 'locked-holder', 'VIEW', now())`);
    const started = Date.now();
    const res = await gql(sys.url, env.clientKey, TRACK, { i: event });
    const waited = Date.now() - started;
    expect(res.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.data?.trackEvent ?? null).toBeNull();
    expect(waited).toBeLessThan(5000);
    await holder.query('ROLLBACK');
    expect(await sys.services.db.event.count({ where: { eventId: 'locked-1' } })).toBe(0);

    const retried = await gqlOk(sys.url, env.clientKey, TRACK, { i: event });
    expect(retried.trackEvent).toEqual({ accepted: true, duplicate: false });
    expect(await sys.services.db.event.count({ where: { eventId: 'locked-1' } })).toBe(1);
  }, 60_000);
});
