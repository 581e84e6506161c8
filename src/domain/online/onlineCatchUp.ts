// The safety net of the event path: trackEvent acknowledges an event once it is in Postgres, then asks for
// an online update; if Redis was down at that moment the request is lost but the event is not. This sweeper
// walks the event log behind a durable cursor and re-requests updates for every user whose state has not
// reached their newest event there, so state catches up, in order per user, once Redis is back.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import type { UserChangeNotifier } from '../events/eventService';
import type { UserStateStore } from '../users/userStateStore';
import { withTimeout } from '../../async/withTimeout';

const CURSOR = 'online-catch-up';
const PAGE = 5000;
// Ids are taken at insert but rows become visible at commit; reading only rows a few seconds old means a
// slow transaction's lower id is never skipped by the cursor.
const SETTLE_SECONDS = 5;
const NOTIFY_TIMEOUT_MS = 20_000;

export class OnlineCatchUp {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Db,
    private readonly state: UserStateStore,
    private readonly notify: UserChangeNotifier,
    private readonly log: Logger,
  ) {}

  /**
   * Creates the cursor at the log's end the first time any worker starts; events before it were either
   * bulk-imported (state is rebuilt from Postgres on first use) or handled by an earlier deployment.
   * Done at start rather than in the first sweep, which may only succeed after an outage's events.
   */
  private async ensureCursor(): Promise<void> {
    await this.db.$executeRawUnsafe(
      `INSERT INTO stream_cursors (name, last_event_id) SELECT $1, COALESCE(MAX(id), 0) FROM events ON CONFLICT (name) DO NOTHING`,
      CURSOR,
    );
  }

  /** One pass: returns how many events it covered (0 when another worker holds the cursor). */
  async sweep(): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRawUnsafe<{ last_event_id: bigint }[]>(
        `SELECT last_event_id FROM stream_cursors WHERE name = $1 FOR UPDATE SKIP LOCKED`,
        CURSOR,
      );
      if (!locked.length) return 0; // another worker is sweeping
      const rows = await tx.$queryRawUnsafe<{ id: bigint; user_id: string }[]>(
        `SELECT id, user_id FROM events WHERE id > $1 AND received_at < now() - make_interval(secs => $2)
         ORDER BY id LIMIT ${PAGE}`,
        locked[0].last_event_id,
        SETTLE_SECONDS,
      );
      if (!rows.length) return 0;
      const newest = new Map<string, bigint>();
      for (const r of rows) newest.set(r.user_id, BigInt(r.id));
      // Every event already asked for its update: only users whose state is behind need asking again (without
      // this check, every event would cost the worker a second, empty update). Throws (or times out) while Redis
      // is down: the transaction rolls back and the cursor stays, to retry later.
      await withTimeout(
        this.state.behind(newest).then((users) => (users.length ? this.notify(users) : undefined)),
        NOTIFY_TIMEOUT_MS,
      );
      await tx.$executeRawUnsafe(`UPDATE stream_cursors SET last_event_id = $2, updated_at = now() WHERE name = $1`, CURSOR, rows[rows.length - 1].id);
      return rows.length;
    }, { timeout: 60_000 }); // notifying a page of users can outlast Prisma's 5 s default
  }

  async start(intervalMs = 2000): Promise<void> {
    await this.ensureCursor();
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err) => {
          this.log.warn({ err: (err as Error).message }, 'online catch-up sweep failed; will retry');
          return 0;
        })
        .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
