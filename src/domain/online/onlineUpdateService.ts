// The online path for one user: apply their stored events newer than the high-water mark, in order, to the
// Redis state; recompute their list; publish it when its top items changed. Running it twice is harmless.
import type { Db } from '../../db/prismaClient';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import type { RecommendationService } from '../recommendations/recommendationService';
import type { UserStateStore, HistoryEntry, UserState } from '../users/userStateStore';
import type { UserHistory } from '../../ml/interactions';
import { activityOf, toHistoryEntry, weigh, type RecentActivity, type UserHistoryReader } from '../users/userHistory';
import type { ActiveModel } from '../models/activeModel';
import type { MatrixFactorization } from '../../ml/models/matrixFactorization';
import { applyOnlineSteps } from '../../ml/online/userEmbeddingUpdater';

export interface OnlineUpdateOutcome {
  applied: number;
  pushed: boolean;
}

// Events applied per pass: a user with a huge backlog is caught up over several passes of one job.
const PAGE = 500;

export class OnlineUpdateService {
  constructor(
    private readonly db: Db,
    private readonly state: UserStateStore,
    private readonly histories: UserHistoryReader,
    private readonly recommendations: RecommendationService,
    private readonly active: ActiveModel,
    private readonly pubsub: RedisPubSub,
    private readonly listSize: number,
    private readonly pushDepth: number,
  ) {}

  async apply(userId: string): Promise<OnlineUpdateOutcome> {
    const outcome = await this.update(userId);
    // deleteUser erases Postgres first, then Redis. An update that read the user's events before the erasure may
    // write their state after it: checking Postgres after every write catches that, and erases it again.
    if (outcome.applied && !(await this.db.user.findUnique({ where: { id: userId }, select: { id: true } }))) {
      await this.state.delete(userId);
    }
    return outcome;
  }

  private async update(userId: string): Promise<OnlineUpdateOutcome> {
    let current = await this.state.get(userId);
    let applied = 0;
    if (!current) {
      // No state (new user, or Redis lost it): rebuild the window from Postgres, the source of truth.
      const last = await this.db.event.findFirst({ where: { userId }, orderBy: { id: 'desc' }, select: { id: true } });
      if (!last) return { applied: 0, pushed: false };
      const entries = await this.histories.fromDatabase(userId);
      await this.state.append(userId, entries, last.id.toString(), true);
      applied = entries.length;
      current = await this.state.get(userId);
      if (!current) return { applied, pushed: false };
    } else {
      for (;;) {
        const rows: { id: bigint; itemId: string | null; type: string; occurredAt: Date; flagged: boolean }[] = await this.db.event.findMany({
          where: { userId, id: { gt: BigInt(current.hwm) } },
          orderBy: { id: 'asc' },
          take: PAGE,
          select: { id: true, itemId: true, type: true, occurredAt: true, flagged: true },
        });
        if (!rows.length) break;
        // Flagged (suspicious) events advance the mark but never shape the shopper's state.
        const entries: HistoryEntry[] = rows.filter((r) => !r.flagged).flatMap((r) => toHistoryEntry(r) ?? []);
        const hwm: string = rows[rows.length - 1].id.toString();
        // The window as Redis holds it after the append (LPUSH then LTRIM to the newest `window`): this job is the
        // user's only writer, so it is what a query reads, without reading it back.
        const history = [...current.history, ...entries].slice(-this.state.window);
        applied += rows.length;
        if (rows.length < PAGE) {
          // The last page: its events, the new mark and the list they produce are written in one transaction.
          current = { ...current, ...(await this.learn(userId, current, entries)), history, hwm };
          return { applied, pushed: await this.publishIfChanged(userId, activityOf(current), hwm, current.lastList, entries) };
        }
        await this.state.append(userId, entries, hwm);
        current = { ...current, ...(await this.learn(userId, current, entries)), history, hwm };
      }
      if (!applied) return { applied: 0, pushed: false };
    }
    return { applied, pushed: await this.publishIfChanged(userId, activityOf(current), current.hwm, current.lastList) };
  }

  /**
   * Online learning: a gradient step of the user's factorisation embedding per new event. The embedding
   * starts from a fold-in of the history before these events when none exists for the served version.
   */
  private async learn(userId: string, before: UserState, entries: HistoryEntry[]): Promise<Partial<UserState>> {
    const model = this.active.get();
    const mf = model?.component('mf') as MatrixFactorization | undefined;
    if (!model || !mf || !entries.length) return {};
    const local = (e: HistoryEntry[]) => model.historyFor('mf', model.toHistory(weigh(e))) as UserHistory;
    const w =
      before.embedding && before.embeddingVersion === model.versionId && before.embedding.length === mf.dim
        ? before.embedding
        : mf.foldIn(local(before.history));
    applyOnlineSteps(mf, w, local(entries), undefined, before.history.length + entries.length);
    await this.state.setEmbedding(userId, w, model.versionId);
    return { embedding: w, embeddingVersion: model.versionId };
  }

  /**
   * Computes the list for `activity` and publishes it when its top changed. `pending` are events not yet written
   * to the Redis state: they are appended (with the mark `hwm`, and the list when it is published) first.
   */
  private async publishIfChanged(userId: string, activity: RecentActivity, hwm: string, previous: string[] | null, pending?: HistoryEntry[]): Promise<boolean> {
    const list = this.recommendations.listForHistory(userId, activity, this.listSize);
    const ids = list.items.map((i) => i.id);
    const head = ids.slice(0, this.pushDepth);
    const unchanged = previous !== null && head.length === Math.min(previous.length, this.pushDepth) && head.every((id, k) => previous[k] === id);
    if (list.modelVersion === 'none' || unchanged) {
      if (pending) await this.state.append(userId, pending, hwm);
      return false;
    }
    if (pending) await this.state.append(userId, pending, hwm, false, ids);
    else await this.state.setLastList(userId, ids);
    await this.pubsub.publish(
      'recs',
      {
        userId,
        recommId: list.recommId,
        modelVersion: list.modelVersion,
        generatedAt: list.generatedAt.toISOString(),
        items: list.items,
        eventSeq: hwm,
      },
      userId,
    );
    return true;
  }
}
