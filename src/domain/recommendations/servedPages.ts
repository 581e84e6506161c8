// Remembers which items each recommId has served (in Redis, for a limited time), so asking for the next page
// with the same recommId never repeats an item, on whichever API server the request lands.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../../redis/redisConnections';
import { InvalidInputError, UnavailableError } from '../../errors';

export class ServedPages {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly ttlSeconds: number,
  ) {}

  private key(recommId: string, part: 'user' | 'items'): string {
    return this.keys.key('recomm', `{${recommId}}`, part);
  }

  /**
   * Item ids already served under `recommId` to `userId`. An unknown or expired recommId, or one served to
   * another shopper, is the caller's mistake: answering it as new would silently repeat items.
   */
  async served(recommId: string, userId: string): Promise<Set<string>> {
    const res = await this.redis
      .multi()
      .get(this.key(recommId, 'user'))
      .smembers(this.key(recommId, 'items'))
      .exec()
      .catch(() => {
        throw new UnavailableError('the pages served under a recommId are kept in Redis, which is not answering; ask without recommId');
      });
    const [[, owner], [, ids]] = (res ?? [[null, null], [null, []]]) as [[unknown, string | null], [unknown, string[]]];
    if (owner === null) {
      throw new InvalidInputError(`recommId "${recommId}" is unknown or expired (pages are kept ${this.ttlSeconds} s); ask without it for a new list`, { field: 'recommId' });
    }
    if (owner !== userId) throw new InvalidInputError(`recommId "${recommId}" was served to another user`, { field: 'recommId' });
    return new Set(ids);
  }

  /** Adds a page's items to what `recommId` has served and restarts its time to live. */
  async remember(recommId: string, userId: string, itemIds: string[]): Promise<void> {
    const tx = this.redis.multi().set(this.key(recommId, 'user'), userId, 'EX', this.ttlSeconds);
    if (itemIds.length) tx.sadd(this.key(recommId, 'items'), ...itemIds);
    tx.expire(this.key(recommId, 'items'), this.ttlSeconds);
    await tx.exec();
  }
}
