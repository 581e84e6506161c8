// What the database spends on this deployment: CPU of the Postgres backends serving its database (read from
// /proc, so other databases on a shared server are left out) and the bytes the events table grows by.
import { existsSync } from 'node:fs';
import type { Pool } from 'pg';
import { processCpuSeconds } from './systemProcesses';

async function backendCpu(pool: Pool, database: string): Promise<Map<number, number>> {
  const rows = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  const out = new Map<number, number>();
  for (const { pid } of rows.rows) {
    if (!existsSync(`/proc/${pid}/stat`)) continue; // Postgres on another host or in a container
    try {
      out.set(pid, processCpuSeconds(pid));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * CPU seconds the backends serving `database` spend between start() and stop(). Backends come and go (pools
 * open and close connections), so each is sampled every half second and charged from its first sighting to
 * its last: a backend's time before the window or after its last sample is left out (a lower bound).
 */
export class BackendCpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  /** Set after the first sample: a backend first seen later was opened inside the window. */
  private started = false;

  constructor(
    private readonly pool: Pool,
    private readonly database: string,
  ) {}

  private sample(): Promise<void> {
    this.sampling = backendCpu(this.pool, this.database).then(
      (now) => {
        for (const [pid, cpu] of now) {
          if (!this.first.has(pid)) this.first.set(pid, this.started ? 0 : cpu);
          this.last.set(pid, cpu);
        }
      },
      () => undefined,
    );
    return this.sampling;
  }

  async start(): Promise<this> {
    await this.sample();
    this.started = true;
    this.timer = setInterval(() => void this.sample(), 500);
    return this;
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - (this.first.get(pid) ?? 0);
    return total;
  }
}

/** Bytes of the events table with its indexes and TOAST. */
export async function eventsTableBytes(pool: Pool): Promise<number> {
  const res = await pool.query<{ bytes: string }>(`SELECT pg_total_relation_size('events')::text AS bytes`);
  return Number(res.rows[0].bytes);
}
