// A `pg` pool whose sessions use generic plans, for the statements run on every event and every search (ingestion,
// online updates, text matching). They are sent as named prepared statements, so each is parsed and planned once
// per connection instead of on every execution.
import type { Pool } from 'pg';
import { createPgPool } from './pgPool';

/**
 * With custom plans Postgres replans such a statement (a few CTEs, or a lateral join over arrays) on every
 * execution, which takes as long as running it (measured: 0.1–0.2 ms of planning for 0.06–0.3 ms of execution);
 * the generic plan of each shape is as good, since only array contents and filter values vary.
 */
export function createGenericPlanPool(databaseUrl: string, max: number, onIdleError?: (err: Error) => void, timeoutMs = 0): Pool {
  // statement_timeout is enforced by Postgres (the statement is cancelled and rolled back); the connection wait by pg.
  const options = `-c plan_cache_mode=force_generic_plan${timeoutMs ? ` -c statement_timeout=${timeoutMs}` : ''}`;
  return createPgPool(databaseUrl, max, { options, connectionTimeoutMillis: timeoutMs }, onIdleError);
}
