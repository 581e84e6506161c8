// The online path for a batch of users: apply each one's stored events newer than their high-water mark, in
// order, to the Redis state; recompute the list of those someone is subscribed to, and publish it when its top
// items changed. Reads and writes go in one round trip per batch, and each user's write is a compare-and-set, so
// running it twice, or on two workers at once, is harmless.
import type { Pool } from 'pg';
import type { Logger } from '../../logger';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import { PUSH_HEAD_DEPTH, type RecommendationsChanged } from '../../pubsub/topics';
import type { RecommendationService } from '../recommendations/recommendationService';
import type { Intent } from '../recommendations/searchIntent';
import type { UserStateStore, HistoryEntry, StateSnapshot, StateCommit } from '../users/userStateStore';
import type { UserHistory } from '../../ml/interactions';
import { toHistoryEntry, weigh, type RecentActivity, type UserHistoryReader } from '../users/userHistory';
import type { ActiveModel } from '../models/activeModel';
import type { MatrixFactorization } from '../../ml/models/matrixFactorization';
import { applyOnlineSteps } from '../../ml/online/userEmbeddingUpdater';
import { existingUsers, readLastEventIds, readPendingEvents } from './pendingEvents';

export interface OnlineUpdateOutcome {
  applied: number;
  pushed: boolean;
}

// Events applied per user and pass: a user with a huge backlog is caught up over several passes.
const PAGE = 500;
// Passes a user may lose to another worker's commit before this batch leaves them to that worker.
const MAX_CONFLICTS = 3;
// Users whose commits are sent together while the rest of a batch is planned.
const COMMIT_CHUNK = 8;

/** Whether someone listens to a user's whole list ('recs') and to its head ('recs-head'). */
interface Listeners {
  deep: boolean;
  shallow: boolean;
}

/** One user's pass: the commit to write, and whether more of their events wait behind it. */
interface PlannedPass {
  commit: StateCommit;
  applied: number;
  pushes: boolean;
  more: boolean;
}

export class OnlineUpdateService {
  constructor(
    /** Prepared statements of the event path (createGenericPlanPool). */
    private readonly pool: Pool,
    private readonly state: UserStateStore,
    private readonly histories: UserHistoryReader,
    private readonly recommendations: RecommendationService,
    private readonly active: ActiveModel,
    private readonly pubsub: RedisPubSub,
    private readonly listSize: number,
    private readonly pushDepth: number,
    private readonly log?: Logger,
  ) {}

  async apply(userId: string): Promise<OnlineUpdateOutcome> {
    return (await this.applyMany([userId]))[0];
  }

  /** Brings every user of the batch up to date; one outcome per input, in order (repeats share one). */
  async applyMany(userIds: string[]): Promise<OnlineUpdateOutcome[]> {
    const outcomes = new Map(userIds.map((u) => [u, { applied: 0, pushed: false }]));
    const conflicts = new Map<string, number>();
    const created = new Set<string>();
    let todo = [...outcomes.keys()];
    while (todo.length) {
      const next: string[] = [];
      for (const { userId, written, createdState, more, applied, pushed } of await this.pass(todo)) {
        if (written) {
          const o = outcomes.get(userId) as OnlineUpdateOutcome;
          o.applied += applied;
          o.pushed ||= pushed;
          if (createdState) created.add(userId);
          if (more) next.push(userId);
          continue;
        }
        // Another worker moved this user's state since it was read: read it again, unless that keeps happening
        // (the other worker applies everything it read, and every later event brings its own notification).
        const lost = (conflicts.get(userId) ?? 0) + 1;
        conflicts.set(userId, lost);
        if (lost < MAX_CONFLICTS) next.push(userId);
        else this.log?.debug({ userId }, 'online update left to the worker that holds this user');
      }
      todo = next;
    }
    // deleteUser erases Postgres first, then Redis. A commit on a state read before the Redis erasure fails its
    // compare-and-set, unless there was no state to compare: a state created from events read before the erasure
    // would bring the user back. Checking Postgres after those writes (only those) catches that, and erases again.
    const existing = await existingUsers(this.pool, [...created]);
    await Promise.all([...created].filter((u) => !existing.has(u)).map((u) => this.state.delete(u)));
    return userIds.map((u) => outcomes.get(u) as OnlineUpdateOutcome);
  }

  /** One read, plan and write for `userIds`: which commits were written, and which users have more to apply. */
  private async pass(userIds: string[]): Promise<(OnlineUpdateOutcome & { userId: string; written: boolean; createdState: boolean; more: boolean })[]> {
    // Who is subscribed is asked beside the states: the lists (most of the cost) are computed only for them, and
    // a pushed list leans towards the shopper's current search intent, read next to their events.
    const [snapshots, [deep, shallow]] = await Promise.all([this.state.getMany(userIds), this.pubsub.listenedToEach(['recs', 'recs-head'], userIds)]);
    const listeners = (u: string): Listeners => ({ deep: deep.has(u), shallow: shallow.has(u) });
    const steady: number[] = [];
    const rebuild: number[] = [];
    snapshots.forEach((s, i) => (s.state ? steady : rebuild).push(i));
    const watched = userIds.filter((u) => deep.has(u) || shallow.has(u));
    // No state (new user, Redis lost it, or marked stale): rebuild the window from Postgres, the source of truth.
    const [pending, lastIds, watchedIntents] = await Promise.all([
      readPendingEvents(this.pool, steady.map((i) => ({ userId: userIds[i], after: snapshots[i].hwm })), PAGE),
      readLastEventIds(this.pool, rebuild.map((i) => userIds[i])),
      this.recommendations.intentsOf(watched),
    ]);
    const rebuilt = await Promise.all(
      rebuild.map((i) => {
        const last = lastIds.get(userIds[i]);
        return last === undefined ? null : this.histories.fromDatabase(userIds[i], last).then((entries) => ({ entries, hwm: last.toString() }));
      }),
    );
    const intentOf = new Map(watched.map((u, k) => [u, watchedIntents[k]]));

    // Commits leave in chunks as they are planned, not after the whole batch: planning is the costly part, so the
    // first users' pushes go out while the rest of the batch is still being computed.
    const plans: PlannedPass[] = [];
    const writes: Promise<boolean[]>[] = [];
    let sent = 0;
    const send = () => {
      if (plans.length > sent) writes.push(this.state.commitMany(plans.slice(sent).map((p) => p.commit)));
      sent = plans.length;
    };
    const add = (p: PlannedPass) => {
      plans.push(p);
      if (plans.length - sent >= COMMIT_CHUNK) send();
    };
    steady.forEach((i, k) => {
      const rows = pending[k];
      if (!rows.length) return;
      const entries = rows.filter((r) => !r.flagged).flatMap((r) => toHistoryEntry(r) ?? []);
      const more = rows.length === PAGE;
      add(this.plan(userIds[i], snapshots[i], entries, rows[rows.length - 1].id.toString(), false, rows.length, more, listeners(userIds[i]), intentOf.get(userIds[i]) ?? null));
    });
    rebuild.forEach((i, k) => {
      const r = rebuilt[k];
      if (r) add(this.plan(userIds[i], snapshots[i], r.entries, r.hwm, true, r.entries.length, false, listeners(userIds[i]), intentOf.get(userIds[i]) ?? null));
    });
    send();
    const written = (await Promise.all(writes)).flat();
    return plans.map((p, j) => ({
      userId: p.commit.userId,
      written: written[j],
      createdState: written[j] && p.commit.expect.hwm === '' && p.commit.expect.stale === '',
      more: p.more,
      applied: p.applied,
      pushed: p.pushes,
    }));
  }

  /**
   * The commit of one pass for one user: the new events on their window and embedding, and, on the pass that
   * reaches their newest event, the list those produce, published when its top changed. The list is computed only
   * for a user someone is subscribed to (most shoppers have no live subscription, and it is most of the cost);
   * otherwise the last list is forgotten, so the first update after a subscription starts always pushes.
   */
  private plan(userId: string, snap: StateSnapshot, entries: HistoryEntry[], hwm: string, replace: boolean, applied: number, more: boolean, listeners: Listeners, intent: Intent | null): PlannedPass {
    const before = replace ? [] : (snap.state?.history ?? []);
    const history = [...before, ...entries].slice(-this.state.window);
    const embedding = replace || !snap.state ? undefined : this.learn(snap.state.embedding, snap.state.embeddingVersion, before, entries);
    const commit: StateCommit = { userId, expect: { hwm: snap.hwm, stale: snap.stale }, replace, entries, hwm, embedding };
    if (more) return { commit, applied, pushes: false, more };
    if (!listeners.deep && !listeners.shallow) {
      if (snap.lastList?.length) commit.lastList = [];
      return { commit, applied, pushes: false, more };
    }
    const activity: RecentActivity = { entries: history, embedding: embedding ?? (replace ? null : keptEmbedding(snap)) };
    // Ranked only as deep as someone listens: a list's head is the same however deep it is ranked (listAssembly).
    const depth = listeners.deep ? this.listSize : Math.max(PUSH_HEAD_DEPTH, this.pushDepth);
    const list = this.recommendations.listForHistory(userId, activity, depth, null, null, { intent });
    const ids = list.items.map((i) => i.id);
    const previous = snap.lastList;
    const head = ids.slice(0, this.pushDepth);
    const unchanged = previous !== null && head.length === Math.min(previous.length, this.pushDepth) && head.every((id, k) => previous[k] === id);
    if (list.modelVersion === 'none' || unchanged) return { commit, applied, pushes: false, more };
    commit.lastList = ids;
    const payload: RecommendationsChanged = { userId, recommId: list.recommId, modelVersion: list.modelVersion, generatedAt: list.generatedAt.toISOString(), items: list.items, eventSeq: hwm };
    commit.publish = [];
    if (listeners.deep) commit.publish.push({ channel: this.pubsub.channelOf('recs', userId), message: JSON.stringify(payload) });
    if (listeners.shallow) commit.publish.push({ channel: this.pubsub.channelOf('recs-head', userId), message: JSON.stringify({ ...payload, items: list.items.slice(0, PUSH_HEAD_DEPTH) }) });
    return { commit, applied, pushes: true, more };
  }

  /**
   * Online learning: a gradient step of the user's factorisation embedding per new event. The embedding
   * starts from a fold-in of the history before these events when none exists for the served version.
   */
  private learn(current: Float32Array | null, version: number | null, before: HistoryEntry[], entries: HistoryEntry[]): { vector: Float32Array; versionId: number } | undefined {
    const model = this.active.get();
    const mf = model?.component('mf') as MatrixFactorization | undefined;
    if (!model || !mf || !entries.length) return undefined;
    const local = (e: HistoryEntry[]) => model.historyFor('mf', model.toHistory(weigh(e))) as UserHistory;
    const w = current && version === model.versionId && current.length === mf.dim ? new Float32Array(current) : mf.foldIn(local(before));
    applyOnlineSteps(mf, w, local(entries), undefined, before.length + entries.length);
    return { vector: w, versionId: model.versionId };
  }
}

function keptEmbedding(snap: StateSnapshot): RecentActivity['embedding'] {
  const s = snap.state;
  return s?.embedding && s.embeddingVersion !== null ? { vector: s.embedding, versionId: s.embeddingVersion } : null;
}
