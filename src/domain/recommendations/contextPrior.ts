// A context-conditioned popularity prior: what sells on mobile, in a country, on a page type, on weekday
// evenings. Built from the recent event log (the context stored with each event) and refreshed periodically;
// at request time the features of the request's context pick their top items. It answers shoppers with no
// history (cold start) and nudges everyone else's list towards what fits the moment.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import { DEFAULT_EVENT_WEIGHTS, type EventTypeName } from '../../ml/interactions';
import type { ServingModel } from '../models/servingModel';
import { ScoreHeap } from '../../ml/scoreHeap';
import { yieldToEventLoop } from '../../ml/training/trainingLoop';

/** One context feature, e.g. { key: 'device', value: 'mobile' }. */
export interface ContextFeature {
  key: 'device' | 'country' | 'page' | 'daypart' | 'week';
  value: string;
}

const DAYPARTS = ['night', 'morning', 'afternoon', 'evening'] as const;
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function label(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim().toLowerCase();
  return s && s.length <= 40 ? s : null;
}

function daypartOfHour(hour: number): (typeof DAYPARTS)[number] {
  if (hour < 6) return 'night';
  if (hour < 12) return 'morning';
  if (hour < 18) return 'afternoon';
  return 'evening';
}

/**
 * The features of a context: device, country, page type, part of day and weekday/weekend. Time comes from the
 * context (timeOfDay, hour, weekday) when the client sends it, else from `at` (UTC).
 */
export function contextFeatures(context: Record<string, unknown> | null | undefined, at: Date): ContextFeature[] {
  const c = context ?? {};
  const out: ContextFeature[] = [];
  const device = label(c.device);
  if (device) out.push({ key: 'device', value: device });
  const country = label(c.country);
  if (country) out.push({ key: 'country', value: country });
  const page = label(c.pageType ?? c.page);
  if (page) out.push({ key: 'page', value: page });
  const timeOfDay = label(c.timeOfDay);
  const hour = Number(c.hour);
  const daypart =
    timeOfDay && (DAYPARTS as readonly string[]).includes(timeOfDay)
      ? timeOfDay
      : daypartOfHour(Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : at.getUTCHours());
  out.push({ key: 'daypart', value: daypart });
  const rawDay = label(c.weekday ?? c.dayOfWeek);
  let day = at.getUTCDay();
  if (rawDay !== null) {
    const named = WEEKDAY_NAMES.findIndex((n) => n.startsWith(rawDay.slice(0, 3)));
    if (/^[0-6]$/.test(rawDay)) day = Number(rawDay);
    else if (named >= 0) day = named;
  }
  out.push({ key: 'week', value: day === 0 || day === 6 ? 'weekend' : 'weekday' });
  return out;
}

/** "on mobile on weekday evenings", for the explanation of a context-placed item. */
export function describeContext(features: ContextFeature[]): string {
  const get = (k: ContextFeature['key']) => features.find((f) => f.key === k)?.value;
  const parts: string[] = [];
  const device = get('device');
  if (device) parts.push(`on ${device}`);
  const country = get('country');
  if (country) parts.push(`in ${country.toUpperCase()}`);
  const daypart = get('daypart');
  const week = get('week');
  if (daypart && week) parts.push(`on ${week} ${daypart === 'night' ? 'nights' : `${daypart}s`}`);
  const page = get('page');
  if (page && !parts.length) parts.push(`on ${page} pages`);
  return parts.join(' ');
}

interface EventContextRow {
  id: bigint;
  item_id: string;
  type: string;
  occurred_at: Date;
  device: string | null;
  country: string | null;
  page: string | null;
  time_of_day: string | null;
  hour: string | null;
  weekday: string | null;
}

// Recent events read per refresh, items kept per feature value, and how fast older events fade.
const RECENT_EVENTS = 100_000;
const TOP_PER_FEATURE = 500;
const HALF_LIFE_DAYS = 7;
// Rows per query of a refresh. Every API and worker process refreshes in the event loop that serves lists: read
// at once, 100,000 rows held it for ~0.5 s (Prisma builds a result's objects in one step), a burst of late pushes.
const REFRESH_PAGE = 2000;

export class ContextPrior {
  /** "device=mobile" -> item id -> 0..1 (the feature's best item is 1). */
  private byFeature = new Map<string, Map<string, number>>();
  /** Per served model: each feature's items as model indices, for the prior (byFeature) they were resolved from. */
  private readonly resolved = new WeakMap<
    ServingModel,
    { prior: Map<string, Map<string, number>>; size: number; rows: Map<string, { indices: Int32Array; scores: Float32Array }> }
  >();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly refreshSeconds = 300,
    private readonly pageSize = REFRESH_PAGE,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Re-aggregates the recent events. An item scores count(feature, item) × sqrt(lift): popular in the context
   * and more popular there than overall, so the prior says something global popularity does not.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.aggregate()
      .catch((err) => this.log.warn({ err }, 'context prior not refreshed'))
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** The newest RECENT_EVENTS events, a page per query, each page folded in before the next is read. */
  private async aggregate(): Promise<void> {
    const now = Date.now();
    const rate = Math.LN2 / (HALF_LIFE_DAYS * 86400_000);
    const counts = new Map<string, Map<string, number>>();
    const featureTotals = new Map<string, number>();
    const itemTotals = new Map<string, number>();
    let total = 0;
    let before: bigint | null = null;
    for (let read = 0; read < RECENT_EVENTS; ) {
      const limit = Math.min(this.pageSize, RECENT_EVENTS - read);
      const rows: EventContextRow[] = await this.db.$queryRawUnsafe<EventContextRow[]>(
        `SELECT id, item_id, type::text AS type, occurred_at, context->>'device' AS device, context->>'country' AS country,
                coalesce(context->>'pageType', context->>'page') AS page, context->>'timeOfDay' AS time_of_day,
                context->>'hour' AS hour, coalesce(context->>'weekday', context->>'dayOfWeek') AS weekday
         FROM events WHERE item_id IS NOT NULL AND NOT flagged AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $1`,
        limit,
        before,
      );
      for (const r of rows) {
        const w = (DEFAULT_EVENT_WEIGHTS[r.type as EventTypeName] ?? 0) * Math.exp(-rate * Math.max(0, now - r.occurred_at.getTime()));
        if (!(w > 0)) continue;
        total += w;
        itemTotals.set(r.item_id, (itemTotals.get(r.item_id) ?? 0) + w);
        const ctx = { device: r.device, country: r.country, page: r.page, timeOfDay: r.time_of_day, hour: r.hour, weekday: r.weekday };
        for (const f of contextFeatures(ctx, r.occurred_at)) {
          const key = `${f.key}=${f.value}`;
          let m = counts.get(key);
          if (!m) counts.set(key, (m = new Map()));
          m.set(r.item_id, (m.get(r.item_id) ?? 0) + w);
          featureTotals.set(key, (featureTotals.get(key) ?? 0) + w);
        }
      }
      read += rows.length;
      if (rows.length < limit) break;
      before = rows[rows.length - 1].id;
    }
    const byFeature = new Map<string, Map<string, number>>();
    for (const [key, m] of counts) {
      // The feature's best items, a heap over its items (a feature may hold most of the catalogue), one feature per
      // turn of the event loop. Ties keep the order the items were first met in.
      const ft = featureTotals.get(key) as number;
      const items: string[] = [];
      const heap = new ScoreHeap(TOP_PER_FEATURE);
      for (const [item, c] of m) {
        const s = c * Math.sqrt(c / ft / ((itemTotals.get(item) as number) / total));
        if (s >= heap.threshold) heap.offer(items.length, s);
        items.push(item);
      }
      const top = heap.result();
      const max = top.scores[0] ?? 0;
      if (max > 0) byFeature.set(key, new Map(Array.from(top.indices, (k, r) => [items[k], top.scores[r] / max])));
      await yieldToEventLoop();
    }
    this.byFeature = byFeature;
  }

  /**
   * The prior over a model's vocabulary for a request context (0..1, mean over the context's features that
   * have data), or null when none has.
   */
  scoresFor(model: ServingModel, features: ContextFeature[]): Float32Array | null {
    const rows = this.rowsFor(model, features);
    if (!rows.length) return null;
    const out = new Float32Array(model.numItems);
    for (const { indices, scores } of rows) for (let k = 0; k < indices.length; k++) out[indices[k]] += scores[k] / rows.length;
    return out;
  }

  /**
   * The rows of the context's features that have data: model indices with their 0..1 scores, best first. The
   * prior of item i is the sum of its scores over the rows divided by their number (see scoresFor); ranking a
   * candidate set reads it sparsely from these rows instead of building it over the whole vocabulary.
   */
  rowsFor(model: ServingModel, features: ContextFeature[]): { indices: Int32Array; scores: Float32Array }[] {
    return features.flatMap((f) => this.rowFor(model, `${f.key}=${f.value}`) ?? []);
  }

  /** A feature's items as model indices, resolved once per model and prior refresh. */
  private rowFor(model: ServingModel, key: string): { indices: Int32Array; scores: Float32Array } | null {
    const m = this.byFeature.get(key);
    if (!m) return null;
    let cache = this.resolved.get(model);
    if (!cache || cache.prior !== this.byFeature || cache.size !== model.numItems) {
      this.resolved.set(model, (cache = { prior: this.byFeature, size: model.numItems, rows: new Map() }));
    }
    let row = cache.rows.get(key);
    if (!row) {
      const pairs = [...m].flatMap(([id, s]) => {
        const i = model.index.get(id);
        return i === undefined ? [] : [[i, s] as const];
      });
      row = { indices: Int32Array.from(pairs, (p) => p[0]), scores: Float32Array.from(pairs, (p) => p[1]) };
      cache.rows.set(key, row);
    }
    return row;
  }
}
