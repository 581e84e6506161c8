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

/** One shopper's read, at most a window: the newest events up to `bound` (all when null), or after `bound`. */
interface HistoryRead {
  userId: string;
  bound: bigint | null;
}
type ReadKind = 'newest' | 'after';

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
    const state = through === undefined ? await this.state.get(userId).catch(() => null) : null;
    if (!state) return { entries: await this.fromDatabase(userId, through), embedding: null };
    // The newest window after the mark: when the worker is far behind, those are the events that count.
    const newer = await this.reads.add({ userId, bound: BigInt(state.hwm) }, 'after');
    return activityOf({ ...state, history: [...state.history, ...newer.flatMap((r) => toHistoryEntry(r) ?? [])].slice(-this.window) });
  }

  async fromDatabase(userId: string, through?: bigint): Promise<HistoryEntry[]> {
    const rows = await this.reads.add({ userId, bound: through ?? null }, 'newest');
    return rows.reverse().flatMap((r) => toHistoryEntry(r) ?? []);
  }

  /** Each read's events (newest first for 'newest', oldest first for 'after'), flagged and item-less ones left out. */
  private async readMany(reads: HistoryRead[], kind: ReadKind): Promise<EventRowForHistory[][]> {
    const { rows } = await this.pool.query<{ ord: string; id: string; item_id: string | null; type: string; occurred_at: Date }>({
      name: `history-${kind}`,
      text: `SELECT u.ord, e.id, e.item_id, e.type::text AS type, e.occurred_at
       FROM unnest($1::text[], $2::text[]::bigint[]) WITH ORDINALITY AS u(user_id, bound, ord)
       CROSS JOIN LATERAL (
         SELECT id, item_id, type, occurred_at FROM events
         WHERE user_id = u.user_id AND NOT flagged AND item_id IS NOT NULL
           AND ${kind === 'newest' ? '(u.bound IS NULL OR id <= u.bound)' : 'id > u.bound'}
         ORDER BY id DESC LIMIT $3) e
       ORDER BY u.ord, e.id ${kind === 'newest' ? 'DESC' : 'ASC'}`,
      values: [reads.map((r) => r.userId), reads.map((r) => (r.bound === null ? null : r.bound.toString())), this.window],
    });
    const out = reads.map((): EventRowForHistory[] => []);
    for (const r of rows) out[Number(r.ord) - 1].push({ id: BigInt(r.id), itemId: r.item_id, type: r.type, occurredAt: new Date(r.occurred_at) });
    return out;
  }
}
