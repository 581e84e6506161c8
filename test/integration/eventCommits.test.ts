// How single events are committed (EventService.track): those arriving in one turn share one statement and one
// commit whatever their client addresses, each address still counted apart by the bot checks; and a search's own
// SEARCH event (awaitFlush: false) commits with synchronous_commit off, stored and visible all the same, while the
// connection keeps the server's setting for the next statement. Triggers record each insert statement and the
// setting each row was inserted under.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { createGenericPlanPool } from '../../src/db/genericPlanPool';
import { EventService } from '../../src/domain/events/eventService';
import { DEFAULT_FRAUD_LIMITS, FraudDetector, knownSinceInDatabase } from '../../src/domain/events/fraudDetector';
import type { Pool } from 'pg';

describe('committing single events', () => {
  let env: TestEnv;
  let services: Services;
  // One connection, so every statement below runs on the session the unflushed commit used.
  let pool: Pool;
  let events: EventService;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    services = await createServices(env.config, createLogger('warn'));
    pool = createGenericPlanPool(env.databaseUrl, 1);
    const ignore = async () => undefined;
    // The address limit is off by default, and then addresses are not counted at all: on here, so that they are.
    const fraud = new FraudDetector(services.redis, services.keys, { ...DEFAULT_FRAUD_LIMITS, ipPerMinute: 1000 }, knownSinceInDatabase(pool));
    events = new EventService(services.db, pool, services.items, fraud, ignore, ignore, createLogger('warn'), services.userIds);
    const sql = (text: string) => services.db.$executeRawUnsafe(text);
    await sql(`CREATE TABLE commit_modes (event_id text, mode text, statement bigint)`);
    await sql(`CREATE SEQUENCE insert_statements`);
    await sql(`CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM nextval('insert_statements'); RETURN NULL; END $$`);
    await sql(`CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO commit_modes VALUES (NEW.event_id, current_setting('synchronous_commit'), currval('insert_statements')); RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER count_statement BEFORE INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION count_statement()`);
    await sql(`CREATE TRIGGER note_commit_mode BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION note_commit_mode()`);
  });

  afterAll(async () => {
    await pool?.end();
    await services?.close();
    await env?.drop();
  });

  const setting = async () => (await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0].synchronous_commit;
  const modes = (prefix: string) =>
    services.db.$queryRawUnsafe<{ event_id: string; mode: string; statement: bigint }[]>(`SELECT event_id, mode, statement FROM commit_modes WHERE event_id LIKE $1 ORDER BY statement, event_id`, `${prefix}%`);

  it('stores the events of one turn from many addresses in one statement, counting each address once', async () => {
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const results = await Promise.all(
      addresses.map((ip, k) => events.track({ eventId: `gc-${k}`, userId: `gc-user-${k}`, itemId: 'gc-item', type: 'VIEW' }, ip)),
    );
    expect(results.every((r) => r.accepted)).toBe(true);
    const rows = await modes('gc-');
    expect(rows.map((r) => r.event_id)).toEqual(['gc-0', 'gc-1', 'gc-2', 'gc-3']);
    expect(new Set(rows.map((r) => r.statement)).size).toBe(1);
    const minute = String(Math.floor(Date.now() / 60000));
    const counts = await Promise.all(addresses.map((ip) => services.redis.get(services.keys.key('fraud', 'ip', ip, minute))));
    expect(counts).toEqual(['1', '1', '1', '1']);
  }, 60_000);

  it('commits unflushed events under synchronous_commit off, apart from flushed ones, and leaves the session setting as the server has it', async () => {
    const serverDefault = await setting();
    const [unflushed, flushed] = await Promise.all([
      events.track({ eventId: 'nf-1', userId: 'nf-user', type: 'SEARCH', query: 'boots' }, null, { awaitFlush: false }),
      events.track({ eventId: 'nf-2', userId: 'nf-user', itemId: 'nf-item', type: 'VIEW' }),
    ]);
    expect(unflushed).toMatchObject({ accepted: true, duplicate: false });
    expect(flushed).toMatchObject({ accepted: true, duplicate: false });
    expect(await setting()).toBe(serverDefault);
    // The same eventId again, either way: stored once.
    expect(await events.track({ eventId: 'nf-1', userId: 'nf-user', type: 'SEARCH', query: 'boots' })).toMatchObject({ accepted: false, duplicate: true });
    const stored = await services.db.event.findMany({ where: { userId: services.userIds.map('nf-user') }, orderBy: { id: 'asc' } });
    expect(stored.map((e) => e.type).sort()).toEqual(['SEARCH', 'VIEW']);
    const rows = await modes('nf-');
    const modeOf = (eventId: string) => rows.filter((r) => r.event_id === eventId).map((r) => r.mode);
    expect(modeOf('nf-1')).toEqual(['off', serverDefault]);
    expect(modeOf('nf-2')).toEqual([serverDefault]);
    expect(new Set(rows.map((r) => r.statement)).size).toBe(3);
  }, 60_000);
});
