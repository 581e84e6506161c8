// Loads a history into an EMPTY events table the way Postgres' manual advises for bulk loading: COPY with the
// secondary indexes and foreign keys dropped, then rebuilt in one pass each. Maintaining seven indexes row by row
// was most of an import's cost; a sorted build is several times cheaper.
//
// All of it is one transaction holding the table's ACCESS EXCLUSIVE lock, so a failure leaves the table exactly as
// it was (Postgres DDL is transactional) and no other session ever sees the table without its indexes: they wait
// for the commit instead. That is why it is only taken for an empty table, the first load of a shop's history.
import { once } from 'node:events';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EventRow } from './eventCsvRows';
import type { ImportedUsers } from './importedUsers';

/** An event and the id it is stored under (the caller's row is left as it was). */
export interface KeyedEvent {
  row: EventRow;
  eventId: string;
}

const LOCK_NOT_AVAILABLE = '55P03';
/** Rows sent to COPY per write: large enough to amortise the stream's per-chunk cost. */
const ROWS_PER_CHUNK = 2_000;

// Plain indexes only: the primary key stays (ids arrive in order, so it costs little), and so does any index that
// backs a constraint. events_event_id_key is a plain unique index (Prisma's @unique): rebuilding it re-checks that
// no event id was stored twice.
const SECONDARY_INDEXES = `
  SELECT quote_ident(c.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`;
const FOREIGN_KEYS = `
  SELECT quote_ident(conname) AS name, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'f'`;

const COPY_EVENTS = 'COPY events (event_id, user_id, item_id, type, value, occurred_at) FROM STDIN';
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: backslash escapes, \N for NULL. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

export interface InitialLoadTimings {
  /** Rebuilding the dropped indexes and foreign keys after the rows were in. */
  rebuildSeconds: number;
}

/**
 * One bulk load, with an explicit lifecycle: `begin` takes the table (or declines), `add` streams rows in input
 * order, `finish` creates the users, rebuilds and commits; `settle` rolls back whatever did not commit.
 */
export class InitialEventLoad {
  private readonly copy: ReturnType<typeof copyFrom>;
  private readonly copied: Promise<void>;
  private copyError: unknown = null;
  private lines: string[] = [];
  private state: 'loading' | 'committed' | 'closed' = 'loading';

  private constructor(
    private readonly client: PoolClient,
    private readonly users: ImportedUsers,
    private readonly dropped: { indexes: string[]; foreignKeys: { name: string; definition: string }[] },
  ) {
    this.copy = client.query(copyFrom(COPY_EVENTS));
    this.copied = new Promise<void>((resolve, reject) => {
      this.copy.on('finish', resolve);
      this.copy.on('error', (err) => {
        this.copyError = err;
        reject(err);
      });
    });
    // A COPY error surfaces through add() or finish(); it must not crash the process before then.
    this.copied.catch(() => undefined);
  }

  /**
   * Takes the events table for a bulk load: null when it holds events, or when another session is using it (the
   * caller then imports row by row, alongside that session).
   */
  static async begin(pool: Pool, users: ImportedUsers): Promise<InitialEventLoad | null> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Waiting behind a busy table would also queue every later reader behind this lock.
      await client.query(`SET LOCAL lock_timeout = '2s'`);
      await client.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      await client.query(`SET LOCAL lock_timeout = '60s'`);
      const held = await client.query('SELECT 1 FROM events LIMIT 1');
      if (held.rowCount) {
        await client.query('ROLLBACK');
        client.release();
        return null;
      }
      const indexes = (await client.query<{ name: string; definition: string }>(SECONDARY_INDEXES)).rows;
      const foreignKeys = (await client.query<{ name: string; definition: string }>(FOREIGN_KEYS)).rows;
      for (const fk of foreignKeys) await client.query(`ALTER TABLE events DROP CONSTRAINT ${fk.name}`);
      for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
      return new InitialEventLoad(client, users, { indexes: indexes.map((i) => i.definition), foreignKeys });
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return null;
      throw err;
    }
  }

  async add(event: KeyedEvent): Promise<void> {
    const { row } = event;
    this.users.note(row.userId, row.occurredAt);
    this.lines.push(
      `${copyField(event.eventId)}\t${copyField(row.userId)}\t${copyField(row.itemId)}\t${row.type}\t` +
        `${row.value === null ? '\\N' : row.value}\t${row.occurredAt.toISOString()}\n`,
    );
    if (this.lines.length >= ROWS_PER_CHUNK) await this.flush();
  }

  /** Ends the COPY, creates the users, rebuilds what was dropped and commits; returns the rows stored. */
  async finish(): Promise<{ stored: number; timings: InitialLoadTimings }> {
    await this.flush();
    this.copy.end();
    await this.copied;
    const stored = this.copy.rowCount;
    // The foreign key is checked when it is rebuilt below, so the users can follow their events.
    await this.users.insertNoted(this.client);
    const rebuildStarted = performance.now();
    // Sorting a million keys in memory rather than in temporary files; the setting ends with the transaction.
    await this.client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    for (const definition of this.dropped.indexes) await this.client.query(definition);
    for (const fk of this.dropped.foreignKeys) await this.client.query(`ALTER TABLE events ADD CONSTRAINT ${fk.name} ${fk.definition}`);
    await this.client.query('COMMIT');
    this.state = 'committed';
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    // Fresh statistics, so the first queries on the loaded table are planned for its real size.
    await this.client.query('ANALYZE events');
    return { stored, timings: { rebuildSeconds } };
  }

  /** Rolls back a load that did not commit (indexes and keys come back with it) and returns the connection. */
  async settle(): Promise<void> {
    if (this.state === 'closed') return;
    const committed = this.state === 'committed';
    this.state = 'closed';
    if (!committed) {
      if (!this.copy.writableEnded) this.copy.destroy();
      await this.copied.catch(() => undefined);
      await this.client.query('ROLLBACK').catch(() => undefined);
    }
    this.client.release();
  }

  private async flush(): Promise<void> {
    // Postgres' own message (a bad value, a lost connection) beats the stream's "write after end".
    if (this.copyError) throw this.copyError;
    if (!this.lines.length) return;
    const chunk = this.lines.join('');
    this.lines = [];
    if (!this.copy.write(chunk)) await Promise.race([once(this.copy, 'drain'), this.copied]);
  }
}
