// Reads a user's recent events for scoring: from the shared Redis state when it exists, otherwise straight
// from Postgres (read-only; the online updater is the one writer of the Redis state).
import type { Db } from '../../db/prismaClient';
import { EVENT_TYPES, DEFAULT_EVENT_WEIGHTS, type EventTypeName } from '../../ml/interactions';
import type { HistoryEntry, UserState, UserStateStore } from './userStateStore';

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
  return entries
    .map((e) => ({ ...e, weight: DEFAULT_EVENT_WEIGHTS[EVENT_TYPES[e.type]] ?? 1 }))
    .filter((e) => e.weight > 0);
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

export class UserHistoryReader {
  constructor(
    private readonly db: Db,
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
    const newer = await this.db.event.findMany({
      where: { userId, id: { gt: BigInt(state.hwm) }, flagged: false, itemId: { not: null } },
      orderBy: { id: 'asc' },
      take: this.window,
      select: { id: true, itemId: true, type: true, occurredAt: true },
    });
    return activityOf({ ...state, history: [...state.history, ...newer.flatMap((r) => toHistoryEntry(r) ?? [])].slice(-this.window) });
  }

  async fromDatabase(userId: string, through?: bigint): Promise<HistoryEntry[]> {
    const rows = await this.db.event.findMany({
      where: { userId, flagged: false, itemId: { not: null }, ...(through !== undefined ? { id: { lte: through } } : {}) },
      orderBy: { id: 'desc' },
      take: this.window,
      select: { id: true, itemId: true, type: true, occurredAt: true },
    });
    return rows.reverse().flatMap((r) => toHistoryEntry(r) ?? []);
  }
}
