// What a batch of online updates reads from Postgres, the source of truth: each user's stored events after
// their high-water mark, and the newest event id of users whose state is rebuilt. One statement per batch, each a
// named prepared statement (run on a pool from createGenericPlanPool).
import type { Pool } from 'pg';

export interface PendingEvent {
  id: bigint;
  itemId: string | null;
  type: string;
  occurredAt: Date;
  /** Suspicious events advance the mark but never shape the shopper's state. */
  flagged: boolean;
}

/** Per read, in order: up to `limit` events with an id above `after`, oldest first (flagged and item-less too). */
export async function readPendingEvents(pool: Pool, reads: { userId: string; after: string }[], limit: number): Promise<PendingEvent[][]> {
  const out = reads.map((): PendingEvent[] => []);
  if (!reads.length) return out;
  const { rows } = await pool.query<{ ord: string; id: string; item_id: string | null; type: string; occurred_at: Date; flagged: boolean }>({
    name: 'online-pending-events',
    text: `SELECT u.ord, e.id, e.item_id, e.type::text AS type, e.occurred_at, e.flagged
     FROM unnest($1::text[], $2::text[]::bigint[]) WITH ORDINALITY AS u(user_id, after, ord)
     CROSS JOIN LATERAL (
       SELECT id, item_id, type, occurred_at, flagged FROM events
       WHERE user_id = u.user_id AND id > u.after ORDER BY id LIMIT $3) e
     ORDER BY u.ord, e.id`,
    values: [reads.map((r) => r.userId), reads.map((r) => r.after), limit],
  });
  for (const r of rows) {
    out[Number(r.ord) - 1].push({ id: BigInt(r.id), itemId: r.item_id, type: r.type, occurredAt: new Date(r.occurred_at), flagged: r.flagged });
  }
  return out;
}

/** The newest stored event id of each user that has any. */
export async function readLastEventIds(pool: Pool, userIds: string[]): Promise<Map<string, bigint>> {
  if (!userIds.length) return new Map();
  const { rows } = await pool.query<{ user_id: string; id: string }>({
    name: 'online-last-event-ids',
    text: `SELECT u.user_id, e.id FROM unnest($1::text[]) AS u(user_id)
     CROSS JOIN LATERAL (SELECT id FROM events WHERE user_id = u.user_id ORDER BY id DESC LIMIT 1) e`,
    values: [userIds],
  });
  return new Map(rows.map((r) => [r.user_id, BigInt(r.id)]));
}

/** The users of `userIds` that still exist (deleteUser may have erased one while its update ran). */
export async function existingUsers(pool: Pool, userIds: string[]): Promise<Set<string>> {
  if (!userIds.length) return new Set();
  const { rows } = await pool.query<{ id: string }>({ name: 'online-existing-users', text: 'SELECT id FROM users WHERE id = ANY($1::text[])', values: [userIds] });
  return new Set(rows.map((r) => r.id));
}
