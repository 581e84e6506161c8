// Event ingestion: validate, store durably and idempotently in Postgres, then (after the commit) ask the
// online updater to move the user's state. An acknowledged event is always in Postgres first.
import type { Pool } from 'pg';
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import { DomainError } from '../../errors';
import { withTimeout } from '../../async/withTimeout';
import { TurnBatcher } from '../../async/turnBatcher';
import { checkBatch, LIMITS } from '../inputLimits';
import type { ItemService } from '../items/itemService';
import type { FraudDetector } from './fraudDetector';
import type { UserIdPseudonymizer } from '../users/userIdPseudonymizer';
import { validateEvent, type EventInput, type EventRow } from './eventValidation';

export interface TrackResult {
  eventId: string;
  accepted: boolean;
  duplicate: boolean;
  unknownItem: boolean;
}

export interface TrackBatchResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: { index: number; result: TrackResult }[];
  errors: { index: number; code: string; message: string }[];
}

const NOTIFY_TIMEOUT_MS = 500;

/** Told about users whose stored events changed; the online updater implements it. */
export type UserChangeNotifier = (userIds: string[]) => Promise<void>;

export class EventService {
  constructor(
    private readonly db: Db,
    /** Runs the insert as a prepared statement (createGenericPlanPool): it is on every event's path. */
    private readonly pool: Pool,
    private readonly items: ItemService,
    private readonly fraud: FraudDetector,
    private readonly notify: UserChangeNotifier,
    /** Marks users whose applied events changed after the fact, so their online state is rebuilt. */
    private readonly invalidate: (userIds: string[]) => Promise<void>,
    private readonly log: Logger,
    private readonly userIds: UserIdPseudonymizer,
  ) {}

  // Group commit: single events arriving in one turn of the event loop, from any client address, are stored as one
  // batch and one commit. Events whose commit need not wait for the WAL flush batch apart (the key).
  private readonly singles = new TurnBatcher<{ row: EventRow; clientIp: string | null }, TrackResult, boolean>(
    (entries, awaitFlush) => this.store(entries.map((e) => e.row), entries.map((e) => e.clientIp), awaitFlush),
    LIMITS.batchSize,
  );

  /**
   * `clientIp` feeds the bot checks; it is not stored. With `awaitFlush: false` the event is committed and visible
   * when this resolves, but its commit does not wait for the WAL to reach disk, so a Postgres crash in the next
   * fraction of a second can lose it: only for events nobody was promised, such as a search's own SEARCH event
   * (an acknowledged trackEvent always waits).
   */
  async track(input: EventInput, clientIp?: string | null, opts: { awaitFlush?: boolean } = {}): Promise<TrackResult> {
    const row = this.validate(input);
    return this.singles.add({ row, clientIp: clientIp ?? null }, opts.awaitFlush !== false);
  }

  /** Stores every valid input; invalid ones are reported by position and nothing of them is stored. */
  async trackBatch(inputs: EventInput[], clientIp?: string | null): Promise<TrackBatchResult> {
    checkBatch(inputs, 'inputs');
    const valid: { index: number; row: EventRow }[] = [];
    const errors: TrackBatchResult['errors'] = [];
    inputs.forEach((input, index) => {
      try {
        valid.push({ index, row: this.validate(input) });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        errors.push({ index, code: err.code, message: err.message });
      }
    });
    const stored = valid.length ? await this.store(valid.map((v) => v.row), valid.map(() => clientIp ?? null), true) : [];
    const results = stored.map((result, j) => ({ index: valid[j].index, result }));
    return {
      accepted: results.filter((r) => r.result.accepted).length,
      duplicates: results.filter((r) => r.result.duplicate).length,
      rejected: errors.length,
      results,
      errors,
    };
  }

  private validate(input: EventInput): EventRow {
    const row = validateEvent(input);
    row.userId = this.userIds.map(row.userId);
    return row;
  }

  /** `clientIps[i]` is row i's client address. */
  private async store(rows: EventRow[], clientIps: (string | null)[], awaitFlush: boolean): Promise<TrackResult[]> {
    const { verdicts, hammered } = await this.fraud.assess(rows.map((r, i) => ({ userId: r.userId, itemId: r.itemId, ip: clientIps[i] })));
    const payload = JSON.stringify(
      rows.map((r, i) => ({
        flagged: verdicts[i].flagged,
        event_id: r.eventId,
        user_id: r.userId,
        item_id: r.itemId,
        type: r.type,
        value: r.value,
        query: r.query,
        context: r.context,
        occurred_at: r.occurredAt.toISOString(),
        recomm_id: r.recommId,
      })),
    );
    // One statement inserts the users and the events: all of the batch's valid rows commit together.
    // WITH ORDINALITY keeps batch order in the ids, which is the order the online updater applies.
    // set_config(..., true) sets synchronous_commit for this statement's own transaction, which Postgres reads when
    // it commits: one prepared statement serves both kinds of batch, in one round trip (no BEGIN / SET LOCAL).
    // A flushed batch keeps the server's own setting (which may be stricter than 'on', with replicas).
    const { rows: inserted } = await this.pool.query<{ event_id: string }>({
      name: 'store-events',
      text: `WITH commit_mode AS MATERIALIZED (
         SELECT set_config('synchronous_commit', coalesce($2::text, current_setting('synchronous_commit')), true)
       ), input AS (
         SELECT r.*, o.ord FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS o(doc, ord),
           LATERAL jsonb_to_record(o.doc) AS r(event_id text, user_id text, item_id text, type text, value double precision,
             query text, context jsonb, occurred_at timestamptz, recomm_id text, flagged boolean)
       ), new_users AS (
         INSERT INTO users (id) SELECT DISTINCT user_id FROM input ON CONFLICT (id) DO NOTHING
       )
       INSERT INTO events (event_id, user_id, item_id, type, value, query, context, occurred_at, recomm_id, flagged)
       SELECT event_id, user_id, item_id, type::"EventType", value, query, context, occurred_at, recomm_id, flagged
       FROM input CROSS JOIN commit_mode ORDER BY ord
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      values: [payload, awaitFlush ? null : 'off'],
    });
    for (const h of hammered) {
      // The click farm's first events got in before the pattern showed: flag them now, before any retrain,
      // and have those users' online state rebuilt without them.
      const changed = await this.db.$queryRawUnsafe<{ user_id: string }[]>(
        `UPDATE events SET flagged = true WHERE item_id = $1 AND user_id = ANY($2::text[]) AND received_at > now() - interval '5 minutes' AND NOT flagged RETURNING user_id`,
        h.itemId,
        h.userIds,
      );
      const users = [...new Set(changed.map((r) => r.user_id))];
      if (users.length) {
        await this.invalidate(users).catch((err) => this.log.warn({ err: (err as Error).message }, 'could not mark states stale'));
        await withTimeout(this.notify(users), NOTIFY_TIMEOUT_MS).catch(() => undefined);
      }
    }
    const fresh = new Set(inserted.map((r) => r.event_id));
    const known = await this.items.exists(rows.flatMap((r) => (r.itemId ? [r.itemId] : [])));
    const seen = new Set<string>();
    const results = rows.map((r) => {
      // A repeated eventId inside one batch is stored once; later copies are duplicates.
      const accepted = fresh.has(r.eventId) && !seen.has(r.eventId);
      seen.add(r.eventId);
      return { eventId: r.eventId, accepted, duplicate: !accepted, unknownItem: r.itemId !== null && !known.has(r.itemId) };
    });
    const changedUsers = [...new Set(rows.filter((r) => fresh.has(r.eventId)).map((r) => r.userId))];
    if (changedUsers.length) {
      // The events are committed; a failed or slow notification (Redis down) delays the online update but
      // loses nothing: the catch-up sweeper finds these events in the log. So the caller does not wait for it
      // (under load that round trip would be one more turn of the event loop on every event's and search's path).
      void withTimeout(this.notify(changedUsers), NOTIFY_TIMEOUT_MS).catch((err) =>
        this.log.warn({ err: (err as Error).message, users: changedUsers.length }, 'online update not scheduled; catch-up will'),
      );
    }
    return results;
  }
}

