// Cluster-wide live counters. Every process (API or worker) counts into memory on the request path and flushes
// every quarter second into Redis hashes per second and per minute under the deployment prefix, so any API
// server can read the whole cluster's traffic by summing the same keys. Redis being down loses counts, never requests.
import type { Logger } from '../../logger';
import type { KeySpace, Redis } from '../../redis/redisConnections';
import { bucketOf } from './latencyBuckets';

/** How a GraphQL operation ended: fine, refused as the caller's mistake, or failed on our side. */
export type Outcome = 'ok' | 'client_error' | 'server_error';

/** Per-second hashes live 15 minutes, per-minute ones a little over a day (the longest window is 24 h). */
const SECOND_TTL_S = 15 * 60;
const MINUTE_TTL_S = 25 * 3600;
/** A process that has not flushed or beaten for this long is no longer counted as reporting. */
export const PROCESS_STALE_MS = 15_000;
const HEARTBEAT_MS = 5_000;

/** Hash fields: ev:<TYPE>, push, rq:<op>, er:<op> (server errors), ce:<op> (client errors), lt:<op>:<bucket>. */
export const FIELD = {
  event: (type: string) => `ev:${type}`,
  push: 'push',
  requests: (op: string) => `rq:${op}`,
  serverErrors: (op: string) => `er:${op}`,
  clientErrors: (op: string) => `ce:${op}`,
  latency: (op: string, bucket: number) => `lt:${op}:${bucket}`,
};

export function liveKeys(keys: KeySpace) {
  return {
    second: (epochSecond: number) => keys.key('metrics', 's', String(epochSecond)),
    minute: (epochMinute: number) => keys.key('metrics', 'm', String(epochMinute)),
    totals: keys.key('metrics', 'totals'),
    processes: keys.key('metrics', 'processes'),
  };
}

export class LiveCounters {
  /** epoch second -> field -> count, waiting for the next flush. */
  private pending = new Map<number, Map<string, number>>();
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lastWarning = 0;
  private readonly k: ReturnType<typeof liveKeys>;

  constructor(
    private readonly redis: Redis,
    keys: KeySpace,
    /** Unique per process (and per Services instance, as tests run several in one process). */
    private readonly processId: string,
    private readonly log: Logger,
    private readonly flushMs = 250,
  ) {
    this.k = liveKeys(keys);
  }

  start(): void {
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  eventsStored(type: string, n = 1): void {
    this.add(FIELD.event(type), n);
  }

  pushSent(): void {
    this.add(FIELD.push, 1);
  }

  operation(op: string, ms: number, outcome: Outcome): void {
    this.add(FIELD.requests(op), 1);
    if (outcome === 'server_error') this.add(FIELD.serverErrors(op), 1);
    else if (outcome === 'client_error') this.add(FIELD.clientErrors(op), 1);
    this.add(FIELD.latency(op, bucketOf(ms)), 1);
  }

  /** Writes everything counted so far. */
  flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = this.pending;
    this.pending = new Map();
    if (!batch.size) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.flush();
    await this.redis.zrem(this.k.processes, this.processId).catch(() => undefined);
  }

  private add(field: string, n: number): void {
    const second = Math.floor(Date.now() / 1000);
    let fields = this.pending.get(second);
    if (!fields) {
      fields = new Map();
      this.pending.set(second, fields);
    }
    fields.set(field, (fields.get(field) ?? 0) + n);
    this.flushTimer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  private async write(batch: Map<number, Map<string, number>>): Promise<void> {
    const p = this.redis.pipeline();
    for (const [second, fields] of batch) {
      const sKey = this.k.second(second);
      const mKey = this.k.minute(Math.floor(second / 60));
      for (const [field, n] of fields) {
        p.hincrby(sKey, field, n);
        p.hincrby(mKey, field, n);
        // Latency buckets are only meaningful per window; counts also accumulate forever for the totals.
        if (!field.startsWith('lt:')) p.hincrby(this.k.totals, field, n);
      }
      p.expire(sKey, SECOND_TTL_S);
      p.expire(mKey, MINUTE_TTL_S);
    }
    p.zadd(this.k.processes, Date.now(), this.processId);
    try {
      await p.exec();
    } catch (err) {
      this.warn(err);
    }
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    try {
      await this.redis
        .pipeline()
        .zadd(this.k.processes, now, this.processId)
        .zremrangebyscore(this.k.processes, '-inf', now - 4 * PROCESS_STALE_MS)
        .exec();
    } catch (err) {
      this.warn(err);
    }
  }

  /** At most one warning a minute while Redis is unreachable. */
  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.log.warn({ err }, 'live metrics not written to Redis (counts of this moment are lost)');
  }
}
