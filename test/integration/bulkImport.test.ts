// Bulk import against the run's migrated database: idempotent re-runs, users first, bad rows counted and skipped,
// items upserted without clobbering, and the sample shop loading once however often it is loaded.
import { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { createPgPool } from '../../src/db/pgPool';
import { eventRowBatches, itemRowBatches, type EventRow } from '../../src/domain/import/eventCsvRows';
import { importEvents, importItems } from '../../src/domain/import/bulkImporter';
import { generateSampleStore, loadSampleStore } from '../../src/sample/sampleStore';
import { createTestEnv, type TestEnv } from '../utils/testEnv';

// A database of this file's own: the run's template must stay empty, since every other file clones it.
let env: TestEnv;
let databaseUrl: string;
let pool: Pool;
const run = `bulk${Date.now().toString(36)}`;

beforeAll(async () => {
  env = await createTestEnv();
  databaseUrl = env.databaseUrl;
  pool = createPgPool(databaseUrl, 3);
});

afterAll(async () => {
  await pool?.end();
  await env?.drop();
});

const csv = (text: string) => Readable.from([text]);

async function countEvents(userPrefix: string): Promise<number> {
  const res = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE user_id LIKE $1', [`${userPrefix}%`]);
  return Number(res.rows[0].n);
}

describe('importEvents', () => {
  it('stores generated rows once, however often they are imported, creating their users first', async () => {
    const prefix = `${run}-gen-`;
    // Sample events without their explicit ids, so every id is derived from content.
    const rows: EventRow[] = generateSampleStore(7, new Date('2025-06-01T00:00:00Z')).events.map((e) => ({
      userId: prefix + e.userId,
      itemId: e.itemId,
      type: e.type,
      value: e.value,
      occurredAt: e.occurredAt,
    }));
    const users = new Set(rows.map((r) => r.userId));
    const progress: number[] = [];

    // Small batches on two connections, so batching and ordering are exercised.
    const first = await importEvents(pool, rows, { batchSize: 997, concurrency: 2, onProgress: (p) => progress.push(p.done) });
    expect(first).toMatchObject({ read: rows.length, stored: rows.length, duplicates: 0, bad: 0, usersCreated: users.size });
    expect(progress[progress.length - 1]).toBe(rows.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const second = await importEvents(pool, rows, { batchSize: 4000 });
    expect(second).toMatchObject({ read: rows.length, stored: 0, duplicates: rows.length, bad: 0, usersCreated: 0 });
    expect(await countEvents(prefix)).toBe(rows.length);

    const stored = await pool.query<{ n: string }>('SELECT count(*) AS n FROM users WHERE id LIKE $1', [`${prefix}%`]);
    expect(Number(stored.rows[0].n)).toBe(users.size);
    // A user's row dates from their first event in the history, not from the import.
    const firstEvent = new Map<string, number>();
    for (const r of rows) firstEvent.set(r.userId, Math.min(firstEvent.get(r.userId) ?? Infinity, r.occurredAt.getTime()));
    const created = await pool.query<{ id: string; created_at: Date }>('SELECT id, created_at FROM users WHERE id LIKE $1', [`${prefix}%`]);
    expect(created.rows.filter((u) => u.created_at.getTime() !== firstEvent.get(u.id))).toEqual([]);
  });

  it('keeps ingestion order equal to input order across concurrent batches', async () => {
    const prefix = `${run}-order-`;
    const rows: EventRow[] = Array.from({ length: 500 }, (_, n) => ({
      userId: `${prefix}${n % 7}`,
      itemId: `i${n}`,
      type: 'VIEW',
      value: null,
      occurredAt: new Date(Date.UTC(2025, 0, 1)),
    }));
    await importEvents(pool, rows, { batchSize: 50, concurrency: 3 });
    const res = await pool.query<{ item_id: string }>('SELECT item_id FROM events WHERE user_id LIKE $1 ORDER BY id', [`${prefix}%`]);
    expect(res.rows.map((r) => r.item_id)).toEqual(rows.map((r) => r.itemId));
  });

  it('keeps identical rows of one file apart, and a re-run still adds nothing', async () => {
    const u = `${run}-twin`;
    const text = `user_id,item_id,timestamp\n${u},i1,1700000000\n${u},i1,1700000000\n${u},i2,1700000000\n`;
    expect(await importEvents(pool, eventRowBatches(csv(text)))).toMatchObject({ stored: 3, duplicates: 0 });
    expect(await importEvents(pool, eventRowBatches(csv(text)))).toMatchObject({ stored: 0, duplicates: 3 });
    expect(await countEvents(u)).toBe(3);
  });

  it('accepts unknown items, reports bad rows by line and stores none of them', async () => {
    const u = `${run}-mixed`;
    const text = [
      'user_id,item_id,timestamp,type,value,event_id',
      `${u},"no-such-item, \\ ""anywhere""",1700000000,VIEW,,`,
      `${u},i1,1700000001,LIKE,,`,
      `${u},i1,not-a-time,VIEW,,`,
      `${u},i1,2024-05-01T12:00:00Z,RATING,4,${u}-explicit`,
      `${u},i1,2024-05-01T12:00:00Z,RATING,4,${u}-explicit`,
    ].join('\n');
    const seen: number[] = [];
    const stats = await importEvents(pool, eventRowBatches(csv(text)), { onRowError: (e) => seen.push(e.line) });
    expect(stats).toMatchObject({ read: 5, stored: 2, duplicates: 1, bad: 2 });
    expect(stats.errors).toEqual([
      { line: 3, reason: expect.stringMatching(/unknown event type "LIKE"/) },
      { line: 4, reason: expect.stringMatching(/not-a-time/) },
    ]);
    expect(seen).toEqual([3, 4]);

    const res = await pool.query<{ item_id: string; type: string; value: number | null; event_id: string; occurred_at: Date }>(
      'SELECT item_id, type, value, event_id, occurred_at FROM events WHERE user_id = $1 ORDER BY id',
      [u],
    );
    expect(res.rows.map((r) => [r.item_id, r.type, r.value])).toEqual([
      ['no-such-item, \\ "anywhere"', 'VIEW', null],
      ['i1', 'RATING', 4],
    ]);
    expect(res.rows[0].event_id).toMatch(/^csv:/);
    expect(res.rows[1].event_id).toBe(`${u}-explicit`);
    expect(res.rows[1].occurred_at.toISOString()).toBe('2024-05-01T12:00:00.000Z');
    const items = await pool.query('SELECT 1 FROM items WHERE id = $1', [res.rows[0].item_id]);
    expect(items.rowCount).toBe(0);
  });
  it('carries on when the server drops its idle connections (restart, pg_terminate_backend)', async () => {
    const u = `${run}-dropped`;
    const text = (n: number) => `user_id,item_id,timestamp\n${u},i${n},170000000${n}\n`;
    expect(await importEvents(pool, eventRowBatches(csv(text(1))))).toMatchObject({ stored: 1 });
    const admin = createPgPool(databaseUrl, 1);
    try {
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // The dropped clients report on the pool first; an unhandled 'error' there would fail this test.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await importEvents(pool, eventRowBatches(csv(text(2))))).toMatchObject({ stored: 1 });
    expect(await countEvents(u)).toBe(2);
  });
});

describe('importItems', () => {
  it('inserts, leaves unchanged items untouched, updates changed ones and keeps columns the file lacks', async () => {
    const a = `${run}-boots`;
    const b = `${run}-socks`;
    const full = `item_id,title,category,tags,price\n${a},Alpine Hiking Boots,Outdoor,hiking|waterproof,129\n${b},Trail Socks,Outdoor,,12.5\n`;
    expect(await importItems(pool, itemRowBatches(csv(full)))).toMatchObject({ read: 2, inserted: 2, updated: 0, unchanged: 0, bad: 0 });
    const before = await pool.query<{ updated_at: Date }>('SELECT updated_at FROM items WHERE id = $1', [a]);

    expect(await importItems(pool, itemRowBatches(csv(full)))).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
    const after = await pool.query<{ updated_at: Date }>('SELECT updated_at FROM items WHERE id = $1', [a]);
    expect(after.rows[0].updated_at).toEqual(before.rows[0].updated_at);

    // Only titles: the category, tags and price stay; a repeated id keeps its last row.
    const titles = `item_id,title\n${a},Old Title\n${a},Alpine Hiking Boots 2\n${b},Trail Socks\n,Nameless\n`;
    const stats = await importItems(pool, itemRowBatches(csv(titles)));
    expect(stats).toMatchObject({ read: 4, inserted: 0, updated: 1, bad: 1 });
    expect(stats.errors).toEqual([{ line: 5, reason: 'item_id is empty' }]);
    const row = await pool.query('SELECT title, category, tags, price, in_stock FROM items WHERE id = $1', [a]);
    expect(row.rows[0]).toEqual({ title: 'Alpine Hiking Boots 2', category: 'Outdoor', tags: ['hiking', 'waterproof'], price: 129, in_stock: true });
  });
});

describe('loadSampleStore', () => {
  it('loads the sample shop; loading it again stores nothing', async () => {
    const now = new Date('2025-06-01T00:00:00Z');
    const { items, events } = generateSampleStore(11, now);
    expect(items.length).toBeGreaterThanOrEqual(350);
    expect(new Set(items.map((i) => i.category)).size).toBeGreaterThanOrEqual(8);
    expect(events.length).toBeGreaterThanOrEqual(8000);

    const first = await loadSampleStore(databaseUrl, { seed: 11, now });
    expect(first.events).toBe(events.length);
    const again = await loadSampleStore(databaseUrl, { seed: 11, now: new Date('2025-07-15T00:00:00Z') });
    expect(again).toMatchObject({ itemsInserted: 0, eventsStored: 0, usersCreated: 0 });
    const stored = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE event_id LIKE 'sample:11:%'`);
    expect(Number(stored.rows[0].n)).toBe(events.length);
  });
});
