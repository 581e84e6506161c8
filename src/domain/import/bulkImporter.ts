// Loads events and items into Postgres: an empty events table in one bulk load (InitialEventLoad), otherwise in
// set-based batches (INSERT ... SELECT FROM unnest), one transaction each. Re-running an import stores nothing twice:
// every event gets a deterministic event_id, and items are upserted.
import { hash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { isRowError, type EventRow, type ItemRow, type RowError } from './eventCsvRows';
import { ImportedUsers } from './importedUsers';
import { InitialEventLoad, type InitialLoadTimings, type KeyedEvent } from './initialEventLoad';

/** Rows as one array (generated data) or as a stream of batches (a parsed file), bad rows included. */
export type RowInput<T> = readonly (T | RowError)[] | AsyncIterable<readonly (T | RowError)[]>;

export interface ImportProgress {
  phase: 'items' | 'events';
  /** Rows handled so far: committed, skipped as duplicates, or rejected. */
  done: number;
  /** Expected rows (an estimate when streaming a file); never below `done`. */
  total: number;
}

export interface ImportOptions {
  /** Rows per transaction; 5,000–10,000 keeps statements fast without hogging locks. */
  batchSize?: number;
  /** Expected row count, for progress only. */
  total?: number;
  /** Event batches written at once, each on its own pooled connection (items always use one). */
  concurrency?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Called for every rejected row (the stats keep only the first `maxErrorsKept`). */
  onRowError?: (error: RowError) => void;
  maxErrorsKept?: number;
  /** Events only: false keeps to the row-by-row path even when the events table is empty (default true). */
  initialLoad?: boolean;
  /** Replaces each event's user id before it is stored (UserIdPseudonymizer.map when ids are pseudonymised). */
  mapUserId?: (userId: string) => string;
}

export interface EventImportStats {
  read: number;
  stored: number;
  /** Rows whose event_id was already stored (a re-run, or the same id twice in the input). */
  duplicates: number;
  bad: number;
  usersCreated: number;
  errors: RowError[];
  /** 'bulk load': the table was empty and loaded in one go (InitialEventLoad); 'row by row' otherwise. */
  path: 'bulk load' | 'row by row';
  /** Bulk load only: rebuilding the events table's indexes and foreign keys at its end. */
  rebuildSeconds?: number;
  seconds: number;
}

export interface ItemImportStats {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  bad: number;
  errors: RowError[];
  seconds: number;
}

export const DEFAULT_BATCH_SIZE = 10_000;
/** Connections writing events at once: two keeps both cores of a small machine busy. */
export const DEFAULT_CONCURRENCY = 2;
const DEFAULT_MAX_ERRORS_KEPT = 100;

/**
 * Gives rows without an event_id a stable one: a hash of their content plus how many identical rows came
 * before them in the same input, so a file with a genuine repeat (two identical views) keeps both, and
 * importing the file again maps every row to the id it got the first time. The format is a promise to
 * every database already loaded: change it and a re-import stores everything twice.
 */
export class EventIdDeriver {
  // One entry per distinct row (about 80 bytes): fine for tens of millions of rows.
  private readonly seen = new Map<string, number>();

  idFor(row: EventRow): string {
    // Ids are length-prefixed and the other fields hold no '|', so two different rows never share content.
    const item = row.itemId === null ? '-' : `${row.itemId.length}:${row.itemId}`;
    const content = `${row.userId.length}:${row.userId}|${item}|${row.occurredAt.getTime()}|${row.type}|${row.value ?? ''}`;
    const digest = hash('sha256', content, 'base64url').slice(0, 22);
    const occurrence = this.seen.get(digest) ?? 0;
    this.seen.set(digest, occurrence + 1);
    return occurrence === 0 ? `csv:${digest}` : `csv:${digest}:${occurrence}`;
  }
}

const NEEDS_ESCAPE = /["\\]/;

/**
 * Postgres array literals built here rather than by pg, whose generic escaping costs more than the
 * rest of the row handling put together at 50k rows/s.
 */
function textArrayLiteral(values: readonly (string | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v === null) parts[k] = 'NULL';
    else if (NEEDS_ESCAPE.test(v)) parts[k] = `"${v.replace(/["\\]/g, '\\$&')}"`;
    else parts[k] = `"${v}"`;
  }
  return `{${parts.join(',')}}`;
}

function numberArrayLiteral(values: readonly (number | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    parts[k] = v === null ? 'NULL' : String(v);
  }
  return `{${parts.join(',')}}`;
}

/** Where drain hands rows: `settle` waits for (or undoes) whatever is under way, after success or failure. */
interface RowSink<W> {
  add(row: W): Promise<void>;
  finish(): Promise<void>;
  settle(): Promise<void>;
}

/**
 * Reads the input to the end, handing good rows to the writer in order and bad ones to the error log;
 * `toWrite` may drop a row (returning null) or wrap it. Waits for every batch before returning or throwing.
 */
async function drain<T extends object, W>(
  input: RowInput<T>,
  writer: RowSink<W>,
  errors: ErrorLog,
  on: { onRead: () => void; onBad: () => void; toWrite: (row: T) => W | null },
): Promise<void> {
  const batches: AsyncIterable<readonly (T | RowError)[]> | (readonly (T | RowError)[])[] = Array.isArray(input)
    ? [input as readonly (T | RowError)[]]
    : (input as AsyncIterable<readonly (T | RowError)[]>);
  try {
    for await (const batch of batches) {
      for (const row of batch) {
        on.onRead();
        if (isRowError(row)) {
          errors.add(row);
          on.onBad();
          continue;
        }
        const item = on.toWrite(row);
        if (item !== null) await writer.add(item);
      }
    }
    await writer.finish();
  } finally {
    await writer.settle();
  }
}

function describeLines(rows: readonly { line?: number }[]): string {
  const first = rows[0]?.line;
  const last = rows[rows.length - 1]?.line;
  return first !== undefined && last !== undefined ? ` (input lines ${first}–${last})` : '';
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever needs the outcome awaits it; an unobserved failure must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** The two halves of storing one batch: `prepare` runs alone and in input order, `apply` in a transaction. */
interface BatchSteps<T> {
  prepare?: (client: PoolClient, batch: T[]) => Promise<void>;
  apply: (client: PoolClient, batch: T[]) => Promise<void>;
}

/**
 * Writes batches on up to `concurrency` connections at once (Postgres spends most of an insert on index
 * and foreign-key work, which a second core halves) while every effect stays in input order: `prepare`
 * steps run one after another, and a batch commits only after the batch before it has. So a reader never
 * sees batch k+1 without batch k, and a failed batch stops every later one. Meanwhile the caller parses on.
 */
class OrderedBatchWriter<T> {
  private pending: T[] = [];
  private readonly running = new Set<Promise<void>>();
  private prepared: Promise<void> = Promise.resolve();
  private committed: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly concurrency: number,
    private readonly batchSize: number,
    private readonly steps: BatchSteps<T>,
  ) {}

  async add(row: T): Promise<void> {
    this.pending.push(row);
    if (this.pending.length >= this.batchSize) await this.dispatch();
  }

  async finish(): Promise<void> {
    await this.dispatch();
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every batch under way; used on the error path too, before the pool is closed. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async dispatch(): Promise<void> {
    while (this.running.size >= this.concurrency) await Promise.race(this.running).catch(() => undefined);
    if (this.failure) throw this.failure.error;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    const task = this.write(batch, this.prepared, this.committed);
    this.running.add(task);
    task.then(
      () => this.running.delete(task),
      (error: unknown) => {
        this.running.delete(task);
        this.failure ??= { error };
      },
    );
  }

  private write(batch: T[], prevPrepared: Promise<void>, prevCommitted: Promise<void>): Promise<void> {
    const prepared = deferred();
    const committed = deferred();
    this.prepared = prepared.promise;
    this.committed = committed.promise;
    return (async () => {
      const client = await this.pool.connect().catch((err: unknown) => {
        prepared.reject(err);
        committed.reject(err);
        throw err;
      });
      let inTransaction = false;
      try {
        await prevPrepared;
        await this.steps.prepare?.(client, batch);
        prepared.resolve();
        await client.query('BEGIN');
        inTransaction = true;
        // A wait on another writer that Postgres cannot see as a deadlock must end in an error, not a hang.
        await client.query(`SET LOCAL lock_timeout = '60s'`);
        await this.steps.apply(client, batch);
        await prevCommitted;
        await client.query('COMMIT');
        inTransaction = false;
        committed.resolve();
      } catch (err) {
        prepared.reject(err);
        committed.reject(err);
        if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    })();
  }
}

class ErrorLog {
  readonly kept: RowError[] = [];
  count = 0;

  constructor(
    private readonly max: number,
    private readonly onRowError?: (e: RowError) => void,
  ) {}

  add(error: RowError): void {
    this.count++;
    if (this.kept.length < this.max) this.kept.push(error);
    this.onRowError?.(error);
  }
}

// Ids come from the events sequence up front, one batch after another, so ingestion order (events.id)
// follows input order although batches are inserted concurrently. They are almost always one contiguous
// run, sent back as its first value; only when another writer took ids in between is the list needed.
function allocateIdsSql(sequence: string): string {
  // The sequence is named as a literal: resolving it per row (pg_get_serial_sequence) cost a tenth of the insert.
  return `
    WITH s AS (SELECT nextval('${sequence.replace(/'/g, "''")}'::regclass) AS v FROM generate_series(1, $1::int))
    SELECT min(v)::text AS first,
           CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL ELSE array_agg(v ORDER BY v)::text END AS list
    FROM s`;
}

/** Where a batch's ids come from: a contiguous run's first value, or an explicit list. */
type IdBlock = { first: string; list: null } | { first: string; list: string };

const EVENT_COLUMNS = `
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[]) WITH ORDINALITY
    AS t(event_id, user_id, item_id, type, value, ms, ord)`;
const EVENT_VALUES = `t.event_id, t.user_id, t.item_id, t.type::"EventType", t.value, to_timestamp(t.ms / 1000.0)`;

/** The insert for a batch whose ids are a contiguous run (`run`) or a list, skipping stored event_ids or not. */
function insertEventsSql(ids: 'run' | 'list', skipStored: boolean): string {
  return `
    INSERT INTO events (id, event_id, user_id, item_id, type, value, occurred_at)
    SELECT ${ids === 'run' ? '$1::bigint + t.ord - 1' : '($1::bigint[])[t.ord]'}, ${EVENT_VALUES} ${EVENT_COLUMNS}
    ${skipStored ? 'ON CONFLICT (event_id) DO NOTHING' : ''}`;
}

const UNIQUE_VIOLATION = '23505';

/** What a writer of events reports as it goes: rows stored or skipped as duplicates. */
interface EventTally {
  stored: number;
  duplicates: number;
  onWritten: (rows: number) => void;
}

/**
 * The row-by-row path, safe beside a live system: batches of events on `concurrency` connections, each batch one
 * transaction with its new users committed just before it (so a failed batch leaves at worst a user without
 * events), ON CONFLICT skipping event ids already stored.
 */
function incrementalEventWriter(pool: Pool, opts: ImportOptions, users: ImportedUsers, tally: EventTally): OrderedBatchWriter<KeyedEvent> {
  const idsOf = new WeakMap<KeyedEvent[], IdBlock>();
  let allocateIds: string | undefined;
  let expectDuplicates = false;
  return new OrderedBatchWriter<KeyedEvent>(pool, opts.concurrency ?? DEFAULT_CONCURRENCY, opts.batchSize ?? DEFAULT_BATCH_SIZE, {
    prepare: async (client, batch) => {
      try {
        for (const { row } of batch) users.note(row.userId, row.occurredAt);
        await users.insertNoted(client);
        allocateIds ??= allocateIdsSql(
          (await client.query<{ seq: string }>(`SELECT pg_get_serial_sequence('events', 'id') AS seq`)).rows[0].seq,
        );
        idsOf.set(batch, (await client.query<IdBlock>(allocateIds, [batch.length])).rows[0]);
      } catch (err) {
        throw new Error(`storing users${describeLines(batch.map((b) => b.row))} failed: ${(err as Error).message}`, { cause: err });
      }
    },
    apply: async (client, batch) => {
      const n = batch.length;
      const ids = idsOf.get(batch) as IdBlock;
      const params = [
        ids.list ?? ids.first,
        textArrayLiteral(batch.map((e) => e.eventId)),
        textArrayLiteral(batch.map((e) => e.row.userId)),
        textArrayLiteral(batch.map((e) => e.row.itemId)),
        textArrayLiteral(batch.map((e) => e.row.type)),
        numberArrayLiteral(batch.map((e) => e.row.value)),
        numberArrayLiteral(batch.map((e) => e.row.occurredAt.getTime())),
      ];
      const idForm = ids.list ? 'list' : 'run';
      let stored: number;
      try {
        // A first import meets no stored ids, and a plain insert skips ON CONFLICT's extra index probe (about a
        // tenth of the work). The first duplicate undoes the attempt; from then on every batch expects them.
        let attempt: number | null = null;
        if (!expectDuplicates) {
          await client.query('SAVEPOINT plain_insert');
          try {
            attempt = (await client.query(insertEventsSql(idForm, false), params)).rowCount ?? 0;
          } catch (err) {
            if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
            expectDuplicates = true;
            await client.query('ROLLBACK TO SAVEPOINT plain_insert');
          }
        }
        stored = attempt ?? (await client.query(insertEventsSql(idForm, true), params)).rowCount ?? 0;
      } catch (err) {
        throw new Error(`storing events${describeLines(batch.map((b) => b.row))} failed: ${(err as Error).message}`, { cause: err });
      }
      // Counted before COMMIT: a batch that then fails ends the whole import, so the count never misleads.
      tally.stored += stored;
      tally.duplicates += n - stored;
      tally.onWritten(n);
    },
  });
}

/** Rows between progress reports on the bulk-load path, which has no batches to report by. */
const INITIAL_LOAD_PROGRESS_EVERY = 10_000;

/**
 * The bulk-load path into an empty events table (see InitialEventLoad): the rows are counted as stored when
 * the load commits, all at once.
 */
function initialEventWriter(load: InitialEventLoad, tally: EventTally, onDone: (s: InitialLoadTimings) => void) {
  let unreported = 0;
  return {
    add: async (event: KeyedEvent) => {
      await load.add(event);
      if (++unreported >= INITIAL_LOAD_PROGRESS_EVERY) {
        tally.onWritten(unreported);
        unreported = 0;
      }
    },
    finish: async () => {
      const result = await load.finish();
      tally.stored += result.stored;
      tally.onWritten(unreported);
      onDone(result.timings);
    },
    settle: () => load.settle(),
  };
}

/**
 * Stores events; users an event names are created too (events reference users). Into an empty events table the
 * whole input is one bulk load (unless `initialLoad` is false); otherwise batches are inserted row by row.
 */
export async function importEvents(pool: Pool, input: RowInput<EventRow>, opts: ImportOptions = {}): Promise<EventImportStats> {
  const started = performance.now();
  const errors = new ErrorLog(opts.maxErrorsKept ?? DEFAULT_MAX_ERRORS_KEPT, opts.onRowError);
  const ids = new EventIdDeriver();
  // Explicit ids seen so far: a repeat is a duplicate here, and never reaches two concurrent batches (nor a bulk load,
  // whose unique index is only rebuilt at the end).
  const explicitIds = new Set<string>();
  let read = 0;
  let done = 0;
  const report = () => opts.onProgress?.({ phase: 'events', done, total: Math.max(done, opts.total ?? read) });
  const tally: EventTally = {
    stored: 0,
    duplicates: 0,
    onWritten: (rows) => {
      done += rows;
      report();
    },
  };
  const users = new ImportedUsers();
  let rebuildSeconds: number | undefined;
  const load = opts.initialLoad === false ? null : await InitialEventLoad.begin(pool, users);
  const writer = load
    ? initialEventWriter(load, tally, (t) => (rebuildSeconds = t.rebuildSeconds))
    : incrementalEventWriter(pool, opts, users, tally);

  await drain(input, writer, errors, {
    onRead: () => read++,
    onBad: () => done++,
    toWrite: (raw) => {
      const row = opts.mapUserId ? { ...raw, userId: opts.mapUserId(raw.userId) } : raw;
      if (row.eventId === undefined) return { row, eventId: ids.idFor(row) };
      if (explicitIds.has(row.eventId)) {
        tally.duplicates++;
        done++;
        return null;
      }
      explicitIds.add(row.eventId);
      return { row, eventId: row.eventId };
    },
  });
  report();
  return {
    read,
    stored: tally.stored,
    duplicates: tally.duplicates,
    usersCreated: users.created,
    bad: errors.count,
    errors: errors.kept,
    path: load ? 'bulk load' : 'row by row',
    ...(rebuildSeconds === undefined ? {} : { rebuildSeconds }),
    seconds: (performance.now() - started) / 1000,
  };
}

const ITEM_FIELDS = ['description', 'category', 'brand', 'tags', 'price', 'inStock'] as const;
const ITEM_COLUMN: Record<(typeof ITEM_FIELDS)[number], string> = {
  description: 'description',
  category: 'category',
  brand: 'brand',
  tags: 'tags',
  price: 'price',
  inStock: 'in_stock',
};

/**
 * The upsert for one batch. Only columns some row provides are overwritten, so a file of just
 * item_id,title renames items without wiping their categories; an unchanged item is not touched at all
 * (its updated_at stays), which is what makes a re-run a no-op.
 */
function upsertItemsSql(provided: (typeof ITEM_FIELDS)[number][]): string {
  const cols = ['title', ...provided.map((f) => ITEM_COLUMN[f])];
  const set = cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const changed = `(${cols.map((c) => `items.${c}`).join(', ')}) IS DISTINCT FROM (${cols.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  return `
    INSERT INTO items (id, title, description, category, brand, tags, price, in_stock)
    SELECT x.id, x.title, x.description, x.category, x.brand, COALESCE(x.tags, '{}'), x.price, COALESCE(x.in_stock, true)
    FROM jsonb_to_recordset($1::jsonb)
      AS x(id text, title text, description text, category text, brand text, tags text[], price float8, in_stock boolean)
    ON CONFLICT (id) DO UPDATE SET ${set}, updated_at = now()
    WHERE ${changed}
    RETURNING (xmax = 0) AS inserted`;
}

// Postgres text cannot hold NUL; dropping it beats failing a whole batch over one odd title.
const stripNul = (s: string | null | undefined) => (typeof s === 'string' ? s.replace(/\u0000/g, '') : s);

/**
 * Upserts catalogue items by id; the last row wins when an id repeats. One connection: catalogues are
 * small, and a later row for an item must never be overtaken by an earlier one.
 */
export async function importItems(pool: Pool, input: RowInput<ItemRow>, opts: ImportOptions = {}): Promise<ItemImportStats> {
  const started = performance.now();
  const errors = new ErrorLog(opts.maxErrorsKept ?? DEFAULT_MAX_ERRORS_KEPT, opts.onRowError);
  const stats = { read: 0, inserted: 0, updated: 0, unchanged: 0 };
  let done = 0;
  const report = () => opts.onProgress?.({ phase: 'items', done, total: Math.max(done, opts.total ?? stats.read) });

  const writer = new OrderedBatchWriter<ItemRow>(pool, 1, opts.batchSize ?? DEFAULT_BATCH_SIZE, {
    apply: async (client, batch) => {
      // One statement cannot update the same row twice, so repeats within a batch collapse first.
      const byId = new Map<string, ItemRow>();
      for (const item of batch) {
        byId.delete(item.id);
        byId.set(item.id, item);
      }
      const items = [...byId.values()];
      const provided = ITEM_FIELDS.filter((f) => items.some((i) => i[f] !== undefined));
      const json = JSON.stringify(
        items.map((i) => ({
          id: i.id,
          title: stripNul(i.title),
          description: stripNul(i.description),
          category: stripNul(i.category),
          brand: stripNul(i.brand),
          tags: i.tags?.map((t) => t.replace(/\u0000/g, '')),
          price: i.price,
          in_stock: i.inStock,
        })),
      );
      let res;
      try {
        res = await client.query<{ inserted: boolean }>(upsertItemsSql(provided), [json]);
      } catch (err) {
        throw new Error(`storing items${describeLines(batch)} failed: ${(err as Error).message}`, { cause: err });
      }
      const inserted = res.rows.filter((r) => r.inserted).length;
      stats.inserted += inserted;
      stats.updated += res.rows.length - inserted;
      stats.unchanged += batch.length - res.rows.length;
      done += batch.length;
      report();
    },
  });

  await drain(input, writer, errors, { onRead: () => stats.read++, onBad: () => done++, toWrite: (row) => row });
  report();
  return { ...stats, bad: errors.count, errors: errors.kept, seconds: (performance.now() - started) / 1000 };
}
