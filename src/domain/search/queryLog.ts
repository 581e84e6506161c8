// Counts searches per normalised query text in Postgres (search_queries), batched and written off the request
// path; `suggest` offers the popular ones. Queries that found nothing are counted but never suggested.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';

/** Lower case, single spaces, trimmed: "Hiking  Boots " and "hiking boots" are one query. */
export function normaliseQuery(query: string): string {
  return query.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 200);
}

export class QueryLog {
  private pending = new Map<string, { searches: number; results: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly flushMs = 1000,
  ) {}

  record(query: string, results: number): void {
    const q = normaliseQuery(query);
    if (!q) return;
    const entry = this.pending.get(q) ?? { searches: 0, results };
    entry.searches++;
    entry.results = results;
    this.pending.set(q, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.pending].map(([query, e]) => ({ query, ...e }));
    this.pending = new Map();
    if (!batch.length) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.db
        .$executeRawUnsafe(
          `INSERT INTO search_queries (query, searches, results, last_searched_at)
           SELECT r.query, r.searches, r.results, now() FROM jsonb_to_recordset($1::jsonb) AS r(query text, searches int, results int)
           ORDER BY r.query
           ON CONFLICT (query) DO UPDATE SET searches = search_queries.searches + EXCLUDED.searches,
             results = EXCLUDED.results, last_searched_at = now()`,
          JSON.stringify(batch),
        )
        .then(() => undefined)
        .catch((err) => this.log.warn({ err, lost: batch.length }, 'search queries not counted')),
    );
    return this.flushing;
  }
}
