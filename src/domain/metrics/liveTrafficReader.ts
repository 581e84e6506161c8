// Reads the cluster's live counters back from Redis for a window: events by type, pushes, per-operation request
// counts, error rates and latency percentiles (from merged buckets), a time series, and how many processes report.
import type { KeySpace, Redis } from '../../redis/redisConnections';
import { quantileOf } from './latencyBuckets';
import { liveKeys, PROCESS_STALE_MS } from './liveCounters';
import type { MetricsWindow } from './metricsWindow';

/** Seconds the "current" rates average over: short enough to feel live, long enough not to flicker. */
export const CURRENT_SECONDS = 5;
/** Operations always listed, even without traffic, so the dashboard's rows do not come and go. */
export const HEADLINE_OPERATIONS = ['recommend', 'search'];

export interface EventRate {
  type: string;
  /** Events in the window. */
  count: number;
  /** Average over the window. */
  perSecond: number;
  /** Average over the last few complete seconds. */
  current: number;
}

export interface OperationMetrics {
  operation: string;
  requests: number;
  perSecond: number;
  serverErrors: number;
  clientErrors: number;
  /** Server errors / requests. */
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface MetricsPoint {
  at: Date;
  events: number;
  byType: { type: string; count: number }[];
  requests: number;
  errors: number;
  pushes: number;
}

export interface LiveTraffic {
  eventRates: EventRate[];
  eventsInWindow: number;
  eventsPerSecond: number;
  eventsCurrent: number;
  eventsTotal: number;
  pushesInWindow: number;
  pushesPerSecond: number;
  pushesCurrent: number;
  pushesTotal: number;
  operations: OperationMetrics[];
  series: MetricsPoint[];
  processes: number;
}

type Hash = Record<string, string>;

export class LiveTrafficReader {
  private readonly k: ReturnType<typeof liveKeys>;

  constructor(
    private readonly redis: Redis,
    keys: KeySpace,
  ) {
    this.k = liveKeys(keys);
  }

  async read(window: MetricsWindow, now = Date.now()): Promise<LiveTraffic> {
    // The current second is still being counted (and flushed): windows end at the last complete one.
    const lastSecond = Math.floor(now / 1000) - 1;
    const points: { at: number; key: string }[] = [];
    let covered: number;
    if (window.resolution === 1) {
      for (let s = lastSecond - window.seconds + 1; s <= lastSecond; s++) points.push({ at: s * 1000, key: this.k.second(s) });
      covered = window.seconds;
    } else {
      // Per-minute points, the newest one partial: the window covers what has been counted so far.
      const lastMinute = Math.floor((lastSecond + 1) / 60);
      const minutes = window.seconds / 60;
      for (let m = lastMinute - minutes + 1; m <= lastMinute; m++) points.push({ at: m * 60_000, key: this.k.minute(m) });
      covered = (minutes - 1) * 60 + ((lastSecond + 1) % 60 || 60);
    }
    const recent = Array.from({ length: CURRENT_SECONDS }, (_, j) => this.k.second(lastSecond - j));
    const p = this.redis.pipeline();
    for (const pt of points) p.hgetall(pt.key);
    for (const key of recent) p.hgetall(key);
    p.hgetall(this.k.totals);
    p.zcount(this.k.processes, now - PROCESS_STALE_MS, '+inf');
    const results = (await p.exec()) ?? [];
    const value = (i: number): unknown => {
      const [err, v] = results[i] ?? [null, null];
      if (err) throw err;
      return v;
    };
    const hashes = points.map((_, i) => (value(i) ?? {}) as Hash);
    const recentHashes = recent.map((_, j) => (value(points.length + j) ?? {}) as Hash);
    const totals = (value(points.length + recent.length) ?? {}) as Hash;
    const processes = Number(value(points.length + recent.length + 1) ?? 0);

    const inWindow = sum(hashes);
    const current = sum(recentHashes);
    const types = new Set([...prefixed(inWindow, 'ev:').keys(), ...prefixed(current, 'ev:').keys()]);
    const eventRates = [...types]
      .map((type) => ({
        type,
        count: inWindow.get(`ev:${type}`) ?? 0,
        perSecond: (inWindow.get(`ev:${type}`) ?? 0) / covered,
        current: (current.get(`ev:${type}`) ?? 0) / CURRENT_SECONDS,
      }))
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
    const eventsInWindow = total(inWindow, 'ev:');
    const pushesInWindow = inWindow.get('push') ?? 0;
    return {
      eventRates,
      eventsInWindow,
      eventsPerSecond: eventsInWindow / covered,
      eventsCurrent: total(current, 'ev:') / CURRENT_SECONDS,
      eventsTotal: total(toCounts(totals), 'ev:'),
      pushesInWindow,
      pushesPerSecond: pushesInWindow / covered,
      pushesCurrent: (current.get('push') ?? 0) / CURRENT_SECONDS,
      pushesTotal: Number(totals.push ?? 0),
      operations: operations(inWindow, covered),
      series: points.map((pt, i) => point(pt.at, toCounts(hashes[i]))),
      processes,
    };
  }
}

function toCounts(hash: Hash): Map<string, number> {
  const m = new Map<string, number>();
  for (const [field, v] of Object.entries(hash)) m.set(field, Number(v) || 0);
  return m;
}

function sum(hashes: Hash[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of hashes) for (const [field, v] of Object.entries(h)) m.set(field, (m.get(field) ?? 0) + (Number(v) || 0));
  return m;
}

/** Fields starting with `prefix`, keyed by the rest of their name. */
function prefixed(counts: Map<string, number>, prefix: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const [field, n] of counts) if (field.startsWith(prefix)) m.set(field.slice(prefix.length), n);
  return m;
}

function total(counts: Map<string, number>, prefix: string): number {
  let n = 0;
  for (const v of prefixed(counts, prefix).values()) n += v;
  return n;
}

function point(at: number, counts: Map<string, number>): MetricsPoint {
  const byType = [...prefixed(counts, 'ev:')].map(([type, count]) => ({ type, count }));
  return {
    at: new Date(at),
    events: byType.reduce((s, t) => s + t.count, 0),
    byType,
    requests: total(counts, 'rq:'),
    errors: total(counts, 'er:'),
    pushes: counts.get('push') ?? 0,
  };
}

function operations(counts: Map<string, number>, covered: number): OperationMetrics[] {
  const requests = prefixed(counts, 'rq:');
  const names = new Set([...HEADLINE_OPERATIONS, ...requests.keys()]);
  return [...names].map((operation) => {
    const n = requests.get(operation) ?? 0;
    const serverErrors = counts.get(`er:${operation}`) ?? 0;
    const buckets = new Map<number, number>();
    for (const [bucket, c] of prefixed(counts, `lt:${operation}:`)) buckets.set(Number(bucket), c);
    return {
      operation,
      requests: n,
      perSecond: n / covered,
      serverErrors,
      clientErrors: counts.get(`ce:${operation}`) ?? 0,
      errorRate: n ? serverErrors / n : 0,
      p50Ms: quantileOf(buckets, 0.5),
      p95Ms: quantileOf(buckets, 0.95),
      p99Ms: quantileOf(buckets, 0.99),
    };
  });
}
