// The bulk-load path of importEvents against the real Postgres: an empty events table is loaded by COPY with its
// indexes and foreign key rebuilt after, leaving the schema exactly as migrated; a failure leaves nothing behind;
// a table with events, or one another session is writing to, is imported row by row instead.
import type { Pool } from 'pg';
import { createPgPool } from '../../src/db/pgPool';
import type { EventRow } from '../../src/domain/import/eventCsvRows';
import { importEvents } from '../../src/domain/import/bulkImporter';
import { createTestEnv, type TestEnv } from '../utils/testEnv';

let env: TestEnv;
let pool: Pool;

beforeAll(async () => {
  env = await createTestEnv();
  pool = createPgPool(env.databaseUrl, 3);
});

afterAll(async () => {
  await pool?.end();
  await env?.drop();
});

/** Every index and constraint of the events table, as Postgres would recreate them. */
async function eventsSchema(): Promise<string[]> {
  const res = await pool.query<{ d: string }>(`
    SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index WHERE indrelid = 'events'::regclass
    UNION ALL
    SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'events'::regclass
    ORDER BY 1`);
  return res.rows.map((r) => r.d);
}

async function count(sql: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql)).rows[0].n);
}

function events(n: number, prefix: string): EventRow[] {
  return Array.from({ length: n }, (_, k) => ({
    userId: `${prefix}u${k % 37}`,
    // Tabs, newlines and backslashes must survive COPY's text format.
    itemId: k % 50 === 0 ? `odd\titem\\${k}\n` : `i${k % 101}`,
    type: k % 9 === 0 ? 'PURCHASE' : 'VIEW',
    value: k % 9 === 0 ? 19.5 : null,
    occurredAt: new Date(Date.UTC(2025, 0, 1) + (k % 37) * 60_000 + k * 1000),
  }));
}

describe('importEvents into an empty events table', () => {
  let migrated: string[];

  beforeAll(async () => {
    migrated = await eventsSchema();
  });

  afterEach(async () => {
    // Whatever a test did, the table ends as migrated.
    expect(await eventsSchema()).toEqual(migrated);
  });

  it('takes the bulk-load path, keeps input order, creates users and rebuilds every index and key', async () => {
    const rows = events(5_000, 'a-');
    const withRepeat: EventRow[] = [...rows, { ...rows[3], eventId: 'explicit-1' }, { ...rows[4], eventId: 'explicit-1' }];
    const progress: number[] = [];
    const stats = await importEvents(pool, withRepeat, { onProgress: (p) => progress.push(p.done) });
    expect(stats).toMatchObject({ path: 'bulk load', read: 5_002, stored: 5_001, duplicates: 1, bad: 0, usersCreated: 37 });
    expect(stats.rebuildSeconds).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toBe(5_002);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const stored = await pool.query<{ item_id: string; value: number | null; type: string }>('SELECT item_id, value, type FROM events ORDER BY id');
    expect(stored.rows.map((r) => r.item_id)).toEqual(withRepeat.slice(0, 5_001).map((r) => r.itemId));
    expect(stored.rows[0]).toEqual({ item_id: 'odd\titem\\0\n', value: 19.5, type: 'PURCHASE' });
    const created = await pool.query<{ id: string; created_at: Date }>(`SELECT id, created_at FROM users WHERE id = 'a-u5'`);
    expect(created.rows[0].created_at.getTime()).toBe(Math.min(...rows.filter((r) => r.userId === 'a-u5').map((r) => r.occurredAt.getTime())));

    // The rebuilt foreign key and unique index are enforced again.
    await expect(pool.query(`INSERT INTO events (event_id, user_id, type, occurred_at) VALUES ('x', 'nobody', 'VIEW', now())`)).rejects.toMatchObject({ code: '23503' });
    await expect(pool.query(`INSERT INTO events (event_id, user_id, type, occurred_at) VALUES ('explicit-1', 'a-u1', 'VIEW', now())`)).rejects.toMatchObject({ code: '23505' });

    // The table now holds events: a re-run goes row by row and stores nothing.
    expect(await importEvents(pool, withRepeat)).toMatchObject({ path: 'row by row', stored: 0, duplicates: 5_002 });
    expect(await count('SELECT count(*) AS n FROM events')).toBe(5_001);
  });

  it('leaves the table as it was when the input fails half way, or Postgres rejects a row', async () => {
    await pool.query('DELETE FROM events');
    const usersBefore = await count('SELECT count(*) AS n FROM users');
    async function* failing(): AsyncIterable<EventRow[]> {
      yield events(3_000, 'b-');
      throw new Error('disk read failed');
    }
    await expect(importEvents(pool, failing())).rejects.toThrow('disk read failed');
    // Postgres text cannot hold NUL: the COPY fails on the server, after rows before it were sent.
    const poisoned = [...events(3_000, 'c-'), { ...events(1, 'c-')[0], itemId: 'bad\u0000item' }];
    await expect(importEvents(pool, poisoned)).rejects.toThrow(/0x00/);
    expect(await count('SELECT count(*) AS n FROM events')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM users')).toBe(usersBefore);
  });

  it('goes row by row beside another session writing to the table', async () => {
    await pool.query('DELETE FROM events');
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(`INSERT INTO events (event_id, user_id, type, occurred_at) VALUES ('live-1', 'a-u1', 'VIEW', now())`);
      const stats = await importEvents(pool, events(500, 'd-'));
      expect(stats).toMatchObject({ path: 'row by row', stored: 500 });
      await other.query('COMMIT');
    } finally {
      other.release();
    }
    expect(await count('SELECT count(*) AS n FROM events')).toBe(501);
  });
});
