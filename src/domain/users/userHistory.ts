// Reads a user's recent events for scoring: from the shared Redis state when it exists, otherwise straight
// from Postgres (read-only; the online updater is the one writer of the Redis state).
import type { Pool } from 'pg';
import { EVENT_TYPES, DEFAULT_EVENT_WEIGHTS, type EventTypeName } from '../../ml/interactions';
import type { HistoryEntry, UserState, UserStateStore } from './userStateStore';
import { TurnBatcher } from '../../async/turnBatcher';

export interface WeightedEntry extends HistoryEntry {
  weight: number;
}

export interface EventRowForHistory {
  id: bigint;
  itemId: string | null;
  type: string;
  occurredAt: Date;
}

export function toHistoryEntry(row: EventRowForHistory): HistoryEntry | null {
  if (!row.itemId) return null;
  return { itemId: row.itemId, time: row.occurredAt.getTime() / 1000, type: EVENT_TYPES.indexOf(row.type as EventTypeName) };
}

export function weigh(entries: HistoryEntry[]): WeightedEntry[] {
  const weighted: WeightedEntry[] = [];
  for (const { itemId, time, type } of entries) {
    const weight = DEFAULT_EVENT_WEIGHTS[EVENT_TYPES[type]] ?? 1;
    if (weight > 0) weighted.push({ itemId, time, type, weight });
  }
  return weighted;
}

/** What scoring needs of a user: recent events and, when online learning ran, their embedding. */
export interface RecentActivity {
  entries: HistoryEntry[];
  /** The online-updated embedding and the model version it belongs to. */
  embedding: { vector: Float32Array; versionId: number } | null;
}

export function activityOf(state: UserState): RecentActivity {
  const { history, embedding, embeddingVersion } = state;
  return { entries: history, embedding: embedding && embeddingVersion !== null ? { vector: embedding, versionId: embeddingVersion } : null };
}

/** One shopper's read: their newest events up to `bound` (all when null), `window` of them or (latest) a few. */
interface HistoryRead {
  userId: string;
  bound: bigint | null;
}
type ReadKind = 'newest' | 'latest';

// Events read beside a shopper's Redis state: the online worker is rarely more than a few events behind a shopper.
const LATEST_EVENTS = 8;

// Reads of shoppers whose requests one turn of the event loop serves share one statement (see TurnBatcher).
const MAX_READS_PER_STATEMENT = 200;

export class UserHistoryReader {
  private readonly reads = new TurnBatcher<HistoryRead, EventRowForHistory[], ReadKind>((reads, kind) => this.readMany(reads, kind), MAX_READS_PER_STATEMENT);

  constructor(
    /** Every list and personalised search reads here: prepared statements (createGenericPlanPool). */
    private readonly pool: Pool,
    private readonly state: UserStateStore,
    private readonly window: number,
  ) {}

  /**
   * The user's recent events, oldest first, at most `window`. Redis state plus any stored events newer
   * than its high-water mark, so a list asked for right after an event already reflects it (read your
   * writes) even while the worker is still applying it. With `through`, only events up to that id count.
   */
  async recent(userId: string, through?: bigint): Promise<RecentActivity> {
    if (through !== undefined) return { entries: await this.fromDatabase(userId, through), embedding: null };
    // The newest few stored events are read beside the state, not after it (under load each round trip waits a turn
    // of the event loop): they hold every event newer than the state's mark unless the worker is that far behind.
    const [state, latest] = await Promise.all([this.state.get(userId).catch(() => null), this.reads.add({ userId, bound: null }, 'latest')]);
    const hwm = state ? BigInt(state.hwm) : null;
    // Fewer than asked for (all the shopper has), or reaching back to the mark: nothing more is needed.
    const enough = latest.length < LATEST_EVENTS || (hwm !== null && latest[latest.length - 1].id <= hwm);
    const rows = enough ? latest : await this.reads.add({ userId, bound: null }, 'newest');
    const newer = (hwm === null ? rows : rows.filter((r) => r.id > hwm)).reverse().flatMap((r) => toHistoryEntry(r) ?? []);
    if (!state) return { entries: newer.slice(-this.window), embedding: null };
    return activityOf({ ...state, history: [...state.history, ...newer].slice(-this.window) });
  }

  async fromDatabase(userId: string, through?: bigint): Promise<HistoryEntry[]> {
    const rows = await this.reads.add({ userId, bound: through ?? null }, 'newest');
    return rows.reverse().flatMap((r) => toHistoryEntry(r) ?? []);
  }

  /** Each read's events, newest first, flagged and item-less ones left out. */
  private async readMany(reads: HistoryRead[], kind: ReadKind): Promise<EventRowForHistory[][]> {
    const { rows } = await this.pool.query<{ ord: string; id: string; item_id: string | null; type: string; occurred_at: Date }>({
      name: `history-${kind}`,
      text: `SELECT u.ord, e.id, e.item_id, e.type::text AS type, e.occurred_at
       FROM unnest($1::text[], $2::text[]::bigint[]) WITH ORDINALITY AS u(user_id, bound, ord)
       CROSS JOIN LATERAL (
         SELECT id, item_id, type, occurred_at FROM events
         WHERE user_id = u.user_id AND NOT flagged AND item_id IS NOT NULL
           AND (u.bound IS NULL OR id <= u.bound)
         ORDER BY id DESC LIMIT $3) e
       ORDER BY u.ord, e.id DESC`,
      values: [reads.map((r) => r.userId), reads.map((r) => (r.bound === null ? null : r.bound.toString())), kind === 'latest' ? LATEST_EVENTS : this.window],
    });
    const out = reads.map((): EventRowForHistory[] => []);
    for (const r of rows) out[Number(r.ord) - 1].push({ id: BigInt(r.id), itemId: r.item_id, type: r.type, occurredAt: new Date(r.occurred_at) });
    return out;
  }
}
