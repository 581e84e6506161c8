// Query completion for a typed prefix: the shopper's own recent searches first, then popular past queries
// that found something, then item titles whose words start with it (personalised by the shopper's taste).
import type { Db } from '../../db/prismaClient';
import type { RecommendationService } from '../recommendations/recommendationService';
import { normaliseQuery } from './queryLog';
import { queryWords, tsQueryText } from './queryText';

// Title candidates fetched to re-rank for a shopper.
const TITLE_POOL = 40;

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class SuggestService {
  constructor(
    private readonly db: Db,
    private readonly recommendations: RecommendationService,
  ) {}

  async suggest(prefix: string, userId: string | null, limit: number): Promise<string[]> {
    const p = normaliseQuery(prefix);
    if (!p) return [];
    const like = `${escapeLike(p)}%`;
    const words = queryWords(p);
    const [own, popular, titles] = await Promise.all([
      userId
        ? this.db.$queryRawUnsafe<{ query: string }[]>(
            `SELECT query FROM (SELECT query, id FROM events WHERE user_id = $1 AND type = 'SEARCH' AND query IS NOT NULL ORDER BY id DESC LIMIT 200) e
             WHERE lower(query) LIKE $2 ORDER BY id DESC LIMIT $3`,
            userId,
            like,
            limit,
          )
        : Promise.resolve([]),
      this.db.$queryRawUnsafe<{ query: string }[]>(
        `SELECT query FROM search_queries WHERE query LIKE $1 AND results > 0 ORDER BY searches DESC, query LIMIT $2`,
        like,
        limit,
      ),
      words.length
        ? this.db.$queryRawUnsafe<{ id: string; title: string }[]>(
            `SELECT id, title FROM items WHERE in_stock AND search_vector @@ to_tsquery('english', $1)
             ORDER BY ts_rank_cd('{0, 0, 0.2, 1}', search_vector, to_tsquery('english', $1)) DESC, length(title), id LIMIT $2`,
            tsQueryText(words, '&'),
            TITLE_POOL,
          )
        : Promise.resolve([]),
    ]);
    const rankedTitles = userId ? await this.byTaste(userId, titles) : titles;
    const out: string[] = [];
    const seen = new Set<string>();
    for (const s of [...own.map((r) => r.query), ...popular.map((r) => r.query), ...rankedTitles.map((r) => r.title)]) {
      const key = normaliseQuery(s);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(s);
      if (out.length === limit) break;
    }
    return out;
  }

  /** Titles in the shopper's order of preference; the text order breaks ties (stable sort). */
  private async byTaste<T extends { id: string }>(userId: string, titles: T[]): Promise<T[]> {
    if (titles.length < 2) return titles;
    const prefs = await this.recommendations.scoreItems(userId, titles.map((t) => t.id));
    if (!prefs) return titles;
    return titles.map((t, k) => ({ t, s: prefs.scores[k] })).sort((a, b) => b.s - a.s).map((x) => x.t);
  }
}
