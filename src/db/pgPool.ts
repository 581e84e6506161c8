// The one way to open a plain `pg` pool (bulk import, search, tools): an idle connection the server drops
// (restart, pg_terminate_backend) must surface as an error of the next query, never crash the process.
import { Pool, type PoolConfig } from 'pg';

export function createPgPool(connectionString: string, max: number, extra: Omit<PoolConfig, 'connectionString' | 'max'> = {}, onIdleError?: (err: Error) => void): Pool {
  const pool = new Pool({ connectionString, max, ...extra });
  // Without a listener, pg-pool re-emits the idle client's error as an unhandled 'error' event.
  pool.on('error', onIdleError ?? (() => undefined));
  return pool;
}
