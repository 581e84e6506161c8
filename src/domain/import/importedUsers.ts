// The users an import's events name: created before their events are committed, each dated by their first event in
// the history (not the import's clock), so the fraud detector knows imported shoppers as established ones.
import type { PoolClient } from 'pg';

// Sorted, so concurrent writers take row locks in one order and cannot deadlock each other.
const INSERT_USERS = `INSERT INTO users (id, created_at)
  SELECT u, to_timestamp(t / 1000.0) FROM unnest($1::text[], $2::float8[]) AS x(u, t) ORDER BY u
  ON CONFLICT (id) DO NOTHING`;

/** Users per statement: arrays of this size stay well under a second of Postgres time. */
const USERS_PER_STATEMENT = 50_000;

export class ImportedUsers {
  /** Users already inserted by this import (most files repeat each user many times). */
  private readonly known = new Set<string>();
  /** Users noted since the last insert, with their earliest event time (ms). */
  private pending = new Map<string, number>();
  /** Users this import created (those that already existed are not counted). */
  created = 0;

  note(userId: string, occurredAt: Date): void {
    if (this.known.has(userId)) return;
    const t = occurredAt.getTime();
    if (t < (this.pending.get(userId) ?? Infinity)) this.pending.set(userId, t);
  }

  /** Inserts the users noted since the last call; after a failure they are noted again, so a retry re-creates them. */
  async insertNoted(client: PoolClient): Promise<void> {
    const noted = this.pending;
    this.pending = new Map();
    const ids = [...noted.keys()];
    for (const id of ids) this.known.add(id);
    try {
      for (let start = 0; start < ids.length; start += USERS_PER_STATEMENT) {
        const slice = ids.slice(start, start + USERS_PER_STATEMENT);
        const res = await client.query(INSERT_USERS, [slice, slice.map((id) => noted.get(id))]);
        this.created += res.rowCount ?? 0;
      }
    } catch (err) {
      for (const id of ids) this.known.delete(id);
      for (const [id, t] of noted) this.note(id, new Date(t));
      throw err;
    }
  }
}
