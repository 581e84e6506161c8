// Text relevance in Postgres, in one round trip: matches of a query over the items' weighted tsvector (GIN),
// their total, facet counts by category and brand, and the best candidates with their relevance. A strict
// pass wants every word (the last one as a prefix, for type-ahead). When it finds nothing, misspelt words are
// corrected to their most trigram-similar word of the catalogue's lexicon (pg_trgm) and the strict pass runs
// again ("hikng boots" finds hiking boots); as a last resort titles trigram-similar to the whole query match.
import type { Pool } from 'pg';
import type { ItemFilter } from '../recommendations/catalogIndex';
import type { ItemRecord } from '../items/itemService';

/** A matching item, whole (so a result page needs no second read), with its text relevance. */
export interface TextCandidate {
  item: ItemRecord;
  /** ts_rank normalised to 0..1, or the title's word similarity in the last-resort pass. */
  relevance: number;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface TextMatches {
  total: number;
  categories: FacetCount[];
  brands: FacetCount[];
  /** Best first; pinned items that match come first whatever their relevance. */
  candidates: TextCandidate[];
  /** True when the typo-tolerant passes answered. */
  fuzzy: boolean;
  /** The query as corrected against the lexicon, when that is what matched. */
  correctedQuery: string | null;
}

/** Lower-cased words of a query (letters and digits only, so they are safe inside to_tsquery syntax). */
export function queryWords(query: string): string[] {
  return query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 12)
    .map((w) => w.slice(0, 64));
}

/** A tsquery joining the words with & (strict) or | (fuzzy); the last word matches as a prefix. */
export function tsQueryText(words: string[], join: '&' | '|'): string {
  return words.map((w, k) => (k === words.length - 1 ? `${w}:*` : w)).join(` ${join} `);
}

const FACETS = 20;
// Lexicon words at least this trigram-similar to a misspelt word may replace it.
const CORRECTION_SIMILARITY = 0.3;
// ts_rank weights of the D, C, B, A labels: description C, tags/brand/category B, title A. (ts_rank rather than
// ts_rank_cd: cover density costs twice as much per match and orders short product documents alike.)
const RANK_WEIGHTS = '{0.05, 0.2, 0.5, 1.0}';

interface ResultRow {
  total: number;
  categories: FacetCount[];
  brands: FacetCount[];
  top: (Omit<ItemRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string; relevance: number })[];
}

/** What SearchService needs of text matching (TextMatcher, or a cache in front of it). */
export interface TextMatching {
  match(query: string, filter: ItemFilter | null, candidates: number, pinnedIds: string[]): Promise<TextMatches>;
}

/**
 * Runs over a plain `pg` pool rather than Prisma: these are the hottest queries of the API and Prisma's raw-query
 * path costs a few milliseconds of CPU per call on top of the database's work.
 */
export class TextMatcher implements TextMatching {
  constructor(private readonly db: Pick<Pool, 'query'>) {}

  async match(query: string, filter: ItemFilter | null, candidates: number, pinnedIds: string[]): Promise<TextMatches> {
    const words = queryWords(query);
    if (!words.length) return { total: 0, categories: [], brands: [], candidates: [], fuzzy: false, correctedQuery: null };
    const strict = await this.run(tsQueryText(words, '&'), null, filter, candidates, pinnedIds);
    if (strict.total > 0) return { ...strict, fuzzy: false, correctedQuery: null };
    const corrected = await this.correct(words);
    if (corrected.some((w, k) => w !== words[k])) {
      const fixed = await this.run(tsQueryText(corrected, '&'), null, filter, candidates, pinnedIds);
      if (fixed.total > 0) return { ...fixed, fuzzy: true, correctedQuery: corrected.join(' ') };
    }
    const similar = await this.run(null, query.toLowerCase(), filter, candidates, pinnedIds);
    return { ...similar, fuzzy: similar.total > 0, correctedQuery: null };
  }

  /**
   * Each word the lexicon does not hold (nor, for the last one, starts a lexicon word) replaced by its most
   * similar lexicon word, when one is similar enough; other words unchanged. (Query words hold only letters and
   * digits, so they need no LIKE escaping.)
   */
  private async correct(words: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ k: number; fix: string | null }>(
      `SELECT w.k::int AS k, (
         SELECT s.word FROM search_words s WHERE s.word % w.input AND similarity(s.word, w.input) >= $3
         ORDER BY similarity(s.word, w.input) DESC, s.word LIMIT 1) AS fix
       FROM unnest($1::text[]) WITH ORDINALITY AS w(input, k)
       WHERE NOT EXISTS (
         SELECT 1 FROM search_words s
         WHERE s.word = w.input OR (w.k = $2 AND s.word LIKE w.input || '%'))`,
      [words, words.length, CORRECTION_SIMILARITY],
    );
    const out = [...words];
    for (const r of rows) if (r.fix) out[r.k - 1] = r.fix;
    return out;
  }

  /** One pass: full-text matches of `tsQuery`, or (with `similarTo`) titles trigram-similar to the raw query. */
  private async run(tsQuery: string | null, similarTo: string | null, filter: ItemFilter | null, limit: number, pinnedIds: string[]): Promise<Omit<TextMatches, 'fuzzy' | 'correctedQuery'>> {
    const f = filter ?? {};
    const matchCondition = tsQuery !== null ? `i.search_vector @@ q.tsq` : `q.raw <% i.title`;
    const relevance = tsQuery !== null ? `ts_rank('${RANK_WEIGHTS}', i.search_vector, q.tsq, 32)` : `word_similarity(q.raw, i.title)`;
    const {
      rows: [row],
    } = await this.db.query<ResultRow>(
      `WITH q AS (SELECT to_tsquery('english', $1) AS tsq, $2::text AS raw),
       matches AS MATERIALIZED (
         SELECT i.id, i.title, i.category, i.brand, i.tags, i.price, ${relevance} AS relevance
         FROM items i, q
         WHERE ${matchCondition}
           AND ($3::text[] IS NULL OR i.category = ANY($3::text[]))
           AND ($4::text[] IS NULL OR i.category IS NULL OR NOT (i.category = ANY($4::text[])))
           AND ($5::float8 IS NULL OR i.price >= $5::float8)
           AND ($6::float8 IS NULL OR i.price <= $6::float8)
           AND (NOT $7::bool OR i.in_stock)
           AND ($8::text[] IS NULL OR NOT (i.id = ANY($8::text[])))
       )
       SELECT
         (SELECT count(*) FROM matches)::int AS total,
         (SELECT coalesce(json_agg(c), '[]'::json) FROM (
            SELECT category AS value, count(*)::int AS count FROM matches WHERE category IS NOT NULL
            GROUP BY category ORDER BY count(*) DESC, category LIMIT ${FACETS}) c) AS categories,
         (SELECT coalesce(json_agg(b), '[]'::json) FROM (
            SELECT brand AS value, count(*)::int AS count FROM matches WHERE brand IS NOT NULL
            GROUP BY brand ORDER BY count(*) DESC, brand LIMIT ${FACETS}) b) AS brands,
         (SELECT coalesce(json_agg(t), '[]'::json) FROM (
            SELECT m.id, m.title, i.description, m.category, m.brand, coalesce(m.tags, '{}') AS tags, m.price,
                   i.in_stock AS "inStock", i.properties, i.created_at AS "createdAt", i.updated_at AS "updatedAt", m.relevance
            FROM (SELECT * FROM matches ORDER BY (id = ANY($9::text[])) DESC, relevance DESC, id LIMIT $10) m
            JOIN items i ON i.id = m.id
            ORDER BY (m.id = ANY($9::text[])) DESC, m.relevance DESC, m.id) t) AS top`,
      [
        tsQuery ?? '',
        similarTo ?? '',
        f.categories?.length ? f.categories : null,
        f.excludeCategories?.length ? f.excludeCategories : null,
        f.minPrice ?? null,
        f.maxPrice ?? null,
        f.inStockOnly ?? true,
        f.excludeItemIds?.length ? f.excludeItemIds : null,
        pinnedIds,
        limit,
      ],
    );
    // JSON carries timestamps as text; items served elsewhere carry Dates.
    const candidates = row.top.map(({ relevance, ...item }) => ({ relevance, item: { ...item, createdAt: new Date(item.createdAt), updatedAt: new Date(item.updatedAt) } }));
    return { total: row.total, categories: row.categories, brands: row.brands, candidates };
  }
}
