// A context-conditioned popularity prior: what sells on mobile, in a country, on a page type, on weekday
// evenings. Built from the recent event log (the context stored with each event) and refreshed periodically;
// at request time the features of the request's context pick their top items. It answers shoppers with no
// history (cold start) and nudges everyone else's list towards what fits the moment.
import type { Pool } from 'pg';
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
  return contextFeaturesAt(context, at.getUTCHours(), at.getUTCDay());
}

/** contextFeatures with the moment given as its UTC hour (0-23) and weekday (0 = Sunday). */
export function contextFeaturesAt(context: Record<string, unknown> | null | undefined, utcHour: number, utcDay: number): ContextFeature[] {
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
      : daypartOfHour(Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : utcHour);
  out.push({ key: 'daypart', value: daypart });
  const rawDay = label(c.weekday ?? c.dayOfWeek);
  let day = utcDay;
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

/** A page row: id, item, type, occurred_at in epoch milliseconds, then the raw context fields features read. */
type EventContextRow = [id: string, itemId: string, type: string, occurredMs: number, device: string | null, country: string | null, page: string | null, timeOfDay: string | null, hour: string | null, weekday: string | null];

/** One feature value's running sums while a refresh reads the events. */
interface FeatureCounts {
  key: string;
  total: number;
  /** Decayed weight by item (index into the refresh's item ids). */
  items: Map<number, number>;
}

// Recent events read per refresh, items kept per feature value, and how fast older events fade.
const RECENT_EVENTS = 100_000;
const TOP_PER_FEATURE = 500;
const HALF_LIFE_DAYS = 7;
// Rows per query of a refresh. Every API and worker process refreshes in the event loop that serves lists: read
// at once, 100,000 rows held a loaded worker for hundreds of ms, a burst of late pushes. What a refresh costs:
// src/bench/contextPriorRefresh.ts.
const REFRESH_PAGE = 2000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

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
    /** Runs a refresh's pages as one prepared statement (createGenericPlanPool). */
    private readonly pool: Pool,
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
    // Items as small integers, and each distinct raw context (with the UTC hour and weekday) resolved to its
    // features' sums once: the events repeat a few contexts, and a refresh reads every one of them.
    const itemIds: string[] = [];
    const itemIndex = new Map<string, number>();
    const itemTotals: number[] = [];
    const features = new Map<string, FeatureCounts>();
    const countsOf = new Map<string, FeatureCounts[]>();
    let total = 0;
    // A bound on every page, the first one past any id: an OR for "no bound yet" is no index condition in a generic
    // plan.
    let before = '9223372036854775807';
    for (let read = 0; read < RECENT_EVENTS; ) {
      const limit = Math.min(this.pageSize, RECENT_EVENTS - read);
      const { rows }: { rows: EventContextRow[] } = await this.pool.query<EventContextRow>({
        name: 'context-prior-page',
        text: `SELECT id, item_id, type::text, (extract(epoch FROM occurred_at) * 1000)::float8, context->>'device', context->>'country',
                coalesce(context->>'pageType', context->>'page'), context->>'timeOfDay', context->>'hour', coalesce(context->>'weekday', context->>'dayOfWeek')
         FROM events WHERE item_id IS NOT NULL AND NOT flagged AND id < $2::bigint ORDER BY id DESC LIMIT $1`,
        values: [limit, before],
        rowMode: 'array',
      });
      for (const [, itemId, type, at, device, country, page, timeOfDay, hour, weekday] of rows) {
        const w = (DEFAULT_EVENT_WEIGHTS[type as EventTypeName] ?? 0) * Math.exp(-rate * Math.max(0, now - at));
        if (!(w > 0)) continue;
        total += w;
        let item = itemIndex.get(itemId);
        if (item === undefined) {
          itemIndex.set(itemId, (item = itemIds.length));
          itemIds.push(itemId);
          itemTotals.push(0);
        }
        itemTotals[item] += w;
        const utcHour = Math.floor(at / MS_PER_HOUR) % 24;
        const utcDay = (Math.floor(at / MS_PER_DAY) + 4) % 7; // 1970-01-01 was a Thursday
        // Postgres text holds no NUL, so NUL both separates the fields and stands for an absent one.
        const raw = `${device ?? '\0'}\0${country ?? '\0'}\0${page ?? '\0'}\0${timeOfDay ?? '\0'}\0${hour ?? '\0'}\0${weekday ?? '\0'}\0${utcHour}\0${utcDay}`;
        let counts = countsOf.get(raw);
        if (!counts) {
          counts = contextFeaturesAt({ device, country, page, timeOfDay, hour, weekday }, utcHour, utcDay).map(({ key, value }) => {
            const name = `${key}=${value}`;
            let f = features.get(name);
            if (!f) features.set(name, (f = { key: name, total: 0, items: new Map() }));
            return f;
          });
          countsOf.set(raw, counts);
        }
        for (const f of counts) {
          f.total += w;
          f.items.set(item, (f.items.get(item) ?? 0) + w);
        }
      }
      read += rows.length;
      if (rows.length < limit) break;
      before = rows[rows.length - 1][0];
    }
    const byFeature = new Map<string, Map<string, number>>();
    for (const f of features.values()) {
      // The feature's best items, a heap over its items (a feature may hold most of the catalogue), one feature per
      // turn of the event loop. Ties keep the order the items were first met in.
      const order: number[] = [];
      const heap = new ScoreHeap(TOP_PER_FEATURE);
      for (const [item, c] of f.items) {
        const s = c * Math.sqrt(c / f.total / (itemTotals[item] / total));
        if (s >= heap.threshold) heap.offer(order.length, s);
        order.push(item);
      }
      const top = heap.result();
      const max = top.scores[0] ?? 0;
      if (max > 0) byFeature.set(f.key, new Map(Array.from(top.indices, (k, r) => [itemIds[order[k]], top.scores[r] / max])));
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
