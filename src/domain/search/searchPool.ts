// The small `pg` pool search's text matching runs on (see TextMatcher), with the session settings its statements
// are written for.
import type { Pool } from 'pg';
import { createPgPool } from '../../db/pgPool';

/**
 * Generic plans: with custom plans Postgres replans the match statement (a few CTEs per pass) on every execution,
 * which takes about as long as running a typical search; the generic plan of each statement shape is as good, since
 * only the words and filter values vary.
 */
export function createSearchPool(databaseUrl: string, max: number, onIdleError?: (err: Error) => void): Pool {
  return createPgPool(databaseUrl, max, { options: '-c plan_cache_mode=force_generic_plan' }, onIdleError);
}
