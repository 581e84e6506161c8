// Per-user online state in Redis holds marks (event ids) of one database. A database dropped and created again,
// or restored into a new one, numbers its events from the start, and marks from before would hide the new events
// from the online updater for good. So the state is stamped with the database it was built from, and discarded
// (to be rebuilt from Postgres, user by user) when a process finds itself on another one.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import { deleteKeysWithPrefix, type KeySpace, type Redis } from '../../redis/redisConnections';

/** Discards every user's Redis state unless it was built from this very database (its OID). Returns whether it did. */
export async function discardStateOfOtherDatabase(db: Db, redis: Redis, keys: KeySpace, log: Logger): Promise<boolean> {
  try {
    const [{ origin }] = await db.$queryRawUnsafe<{ origin: string }[]>(`SELECT oid::text AS origin FROM pg_database WHERE datname = current_database()`);
    const previous = (await redis.set(keys.key('state-origin'), origin, 'GET')) as string | null;
    if (previous === origin) return false;
    // No stamp: a Redis emptied (nothing to discard), or state written before stamps existed (origin unknown).
    await deleteKeysWithPrefix(redis, keys.usersPrefix);
    if (previous !== null) log.warn({ previous, now: origin }, 'online state came from another database: discarded, rebuilt from Postgres on use');
    return true;
  } catch (err) {
    // Redis away at start: its state is checked at the next start; the process must still come up.
    log.warn({ err: (err as Error).message }, 'could not check where the online state came from');
    return false;
  }
}
