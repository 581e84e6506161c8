// Shoppers as the API shows them, and their erasure: deleteUser removes their events, impressions and
// online state everywhere and ends their live subscriptions.
import type { Db } from '../../db/prismaClient';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import type { UserStateStore } from './userStateStore';
import type { FraudDetector } from '../events/fraudDetector';

export interface UserRecord {
  id: string;
  createdAt: Date;
}

export class UserService {
  constructor(
    private readonly db: Db,
    private readonly state: UserStateStore,
    private readonly pubsub: RedisPubSub,
    private readonly fraud: FraudDetector,
  ) {}

  async get(id: string): Promise<UserRecord | null> {
    return this.db.user.findUnique({ where: { id } });
  }

  async eventCount(id: string): Promise<number> {
    return this.db.event.count({ where: { userId: id } });
  }

  async recentEvents(id: string, limit: number) {
    return this.db.event.findMany({ where: { userId: id }, orderBy: { id: 'desc' }, take: limit });
  }

  /** True when the user existed. Postgres first (the source of truth), then Redis, then the live pushes. */
  async delete(id: string): Promise<boolean> {
    const [, deleted] = await this.db.$transaction([
      this.db.impression.deleteMany({ where: { userId: id } }),
      this.db.user.deleteMany({ where: { id } }), // events cascade
    ]);
    await this.state.delete(id);
    await this.fraud.forget(id);
    await this.pubsub.publish('user:deleted', { userId: id }, id);
    return deleted.count > 0;
  }
}
