// One SystemMetrics snapshot for a window: live traffic from the cluster's Redis counters, online quality from
// Postgres (cached briefly: it is a join over the window's impressions), queue depths from BullMQ and the
// model this process serves.
import type { Db } from '../../db/prismaClient';
import type { ActiveModel } from '../models/activeModel';
import type { LiveTraffic, LiveTrafficReader } from './liveTrafficReader';
import type { MetricsWindow } from './metricsWindow';
import { measureOnlineQuality, type OnlineQuality } from './onlineQuality';
import type { QueueDepth, QueueSource } from './queueStatus';

/** Online quality is recomputed at most this often per window; click-through moves slowly anyway. */
const QUALITY_TTL_MS = 5_000;
/** Distinct windows cached at once (callers choose the window, so the cache must be bounded). */
const QUALITY_CACHE_SIZE = 16;

export interface SystemMetrics extends LiveTraffic {
  at: Date;
  window: string;
  windowSeconds: number;
  quality: OnlineQuality;
  queues: QueueDepth[];
  activeModel: string | null;
}

export class SystemMetricsService {
  private readonly quality = new Map<number, { at: number; value: Promise<OnlineQuality> }>();

  constructor(
    private readonly db: Db,
    private readonly traffic: LiveTrafficReader,
    private readonly queues: () => QueueSource[],
    private readonly active: ActiveModel,
  ) {}

  async snapshot(window: MetricsWindow, now = Date.now()): Promise<SystemMetrics> {
    const [traffic, quality, queues] = await Promise.all([
      this.traffic.read(window, now),
      this.qualityFor(window.seconds, now),
      Promise.all(this.queues().map((q) => q.depth())),
    ]);
    return {
      ...traffic,
      at: new Date(now),
      window: window.label,
      windowSeconds: window.seconds,
      quality,
      queues,
      activeModel: this.active.get()?.label ?? null,
    };
  }

  private qualityFor(windowSeconds: number, now: number): Promise<OnlineQuality> {
    const cached = this.quality.get(windowSeconds);
    if (cached && now - cached.at < QUALITY_TTL_MS) return cached.value;
    const value = measureOnlineQuality(this.db, windowSeconds, now);
    if (this.quality.size >= QUALITY_CACHE_SIZE) this.quality.delete(this.quality.keys().next().value as number);
    this.quality.set(windowSeconds, { at: now, value });
    // A failed measurement is not cached: the next snapshot tries again.
    value.catch(() => this.quality.delete(windowSeconds));
    return value;
  }
}
