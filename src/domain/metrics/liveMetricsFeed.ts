// The liveMetrics subscription's source: one ticker per process, running only while someone subscribes,
// computes a snapshot once a second per window in use and hands it to every subscriber of that window.
// A slow subscriber only ever holds the newest snapshot.
import type { Logger } from '../../logger';
import type { MetricsWindow } from './metricsWindow';
import type { SystemMetrics, SystemMetricsService } from './systemMetricsService';

const TICK_MS = 1000;
/** Ticks fire this far into each second, after the processes' quarter-second flushes of the second just ended. */
const TICK_OFFSET_MS = 350;

interface Subscriber {
  window: MetricsWindow;
  latest: SystemMetrics | null;
  wake: (() => void) | null;
  done: boolean;
}

export class LiveMetricsFeed {
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly metrics: SystemMetricsService,
    private readonly log: Logger,
  ) {}

  /** Snapshots of `window`, the first at once, then one a second until the iterator is returned. */
  subscribe(window: MetricsWindow): AsyncIterableIterator<SystemMetrics> {
    const sub: Subscriber = { window, latest: null, wake: null, done: false };
    this.subscribers.add(sub);
    this.ensureTicking();
    void this.metrics.snapshot(window).then(
      (m) => this.deliver(sub, m),
      (err) => this.log.warn({ err }, 'live metrics snapshot failed'),
    );
    const finish = async (): Promise<IteratorResult<SystemMetrics>> => {
      sub.done = true;
      sub.wake?.();
      this.subscribers.delete(sub);
      if (!this.subscribers.size) this.stopTicking();
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<SystemMetrics> = {
      async next() {
        while (!sub.done) {
          if (sub.latest) {
            const value = sub.latest;
            sub.latest = null;
            return { value, done: false };
          }
          await new Promise<void>((resolve) => (sub.wake = resolve));
          sub.wake = null;
        }
        return { value: undefined, done: true };
      },
      return: finish,
      throw: async (err) => {
        await finish();
        throw err;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  close(): void {
    for (const sub of this.subscribers) {
      sub.done = true;
      sub.wake?.();
    }
    this.subscribers.clear();
    this.stopTicking();
  }

  private deliver(sub: Subscriber, m: SystemMetrics): void {
    if (sub.done) return;
    sub.latest = m;
    sub.wake?.();
  }

  private ensureTicking(): void {
    if (this.timer) return;
    const schedule = () => {
      const delay = TICK_MS - (Date.now() % TICK_MS) + TICK_OFFSET_MS;
      this.timer = setTimeout(() => {
        void this.tick();
        if (this.timer) schedule();
      }, delay % TICK_MS || TICK_MS);
      this.timer.unref();
    };
    schedule();
  }

  private stopTicking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    // A snapshot slower than a second skips ticks rather than queueing them.
    if (this.busy || !this.subscribers.size) return;
    this.busy = true;
    try {
      const byWindow = new Map<string, Subscriber[]>();
      for (const sub of this.subscribers) {
        const list = byWindow.get(sub.window.label) ?? [];
        list.push(sub);
        byWindow.set(sub.window.label, list);
      }
      const now = Date.now();
      await Promise.all(
        [...byWindow.values()].map(async (subs) => {
          try {
            const m = await this.metrics.snapshot(subs[0].window, now);
            for (const sub of subs) this.deliver(sub, m);
          } catch (err) {
            this.log.warn({ err }, 'live metrics snapshot failed');
          }
        }),
      );
    } finally {
      this.busy = false;
    }
  }
}
