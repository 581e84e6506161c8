// The one statement of a text match: the strict full-text pass and, only when it finds nothing, the lexicon
// correction and the fuzzy passes, each with its total, facets and best candidates. Built per shape (which filters
// are set, pins or not) and sent as a named statement, which Postgres parses and plans once per connection.
import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import type { ItemFilter } from '../recommendations/catalogIndex';
import { ALTERNATIVES, CORRECTION_SIMILARITY, correctionSql } from './queryCorrection';
import { tsQueryText } from './queryText';

export interface MatchInput {
  words: string[];
  /** The query as typed (lower-cased), for the last-resort title similarity. */
  raw: string;
  filter: ItemFilter | null;
  limit: number;
  pinnedIds: string[];
}

/** Which pass answered: every word; the best corrections; any close alternative per word; similar titles. */
export type MatchStage = 'strict' | 'corrected' | 'alternatives' | 'similar';

export const FACETS = 20;
// ts_rank weights of the D, C, B, A labels: description C, tags/brand/category B, title A. (ts_rank rather than
// ts_rank_cd: cover density costs twice as much per match and orders short product documents alike.)
const RANK_WEIGHTS = '{0.05, 0.2, 0.5, 1.0}';

// Statement names by text: a name must always carry the same text on a connection.
const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `freshrec_search_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * One pass as two CTEs: `<name>_m`, the matches materialised narrow (id, the facet columns, relevance; the whole row
 * is read only for the returned candidates), and `<name>`, its total, facets and best candidates as one JSON value.
 */
function passSql(name: string, source: string, fullText: boolean, conditions: string[], limit: string, pinned: string): string {
  const match = fullText ? 'i.search_vector @@ q.tsq' : 'q.raw <% i.title';
  const relevance = fullText ? `ts_rank('${RANK_WEIGHTS}', i.search_vector, q.tsq, 32)` : 'word_similarity(q.raw, i.title)';
  return `${name}_m AS MATERIALIZED (
      SELECT i.id, i.category, i.brand, ${relevance} AS relevance
      FROM items i, ${source} q
      WHERE ${[match, ...conditions].join(' AND ')}
    ),
    ${name} AS (SELECT json_build_object(
      'total', (SELECT count(*) FROM ${name}_m),
      'categories', (SELECT coalesce(json_agg(c), '[]'::json) FROM (
         SELECT category AS value, count(*)::int AS count FROM ${name}_m WHERE category IS NOT NULL
         GROUP BY category ORDER BY count(*) DESC, category LIMIT ${FACETS}) c),
      'brands', (SELECT coalesce(json_agg(b), '[]'::json) FROM (
         SELECT brand AS value, count(*)::int AS count FROM ${name}_m WHERE brand IS NOT NULL
         GROUP BY brand ORDER BY count(*) DESC, brand LIMIT ${FACETS}) b),
      'top', (SELECT coalesce(json_agg(t), '[]'::json) FROM (
         SELECT i.id, i.title, i.description, i.category, i.brand, coalesce(i.tags, '{}') AS tags, i.price,
                i.in_stock AS "inStock", i.properties, i.created_at AS "createdAt", i.updated_at AS "updatedAt", m.relevance
         FROM (SELECT id, relevance, ${pinned} AS pinned FROM ${name}_m ORDER BY pinned DESC, relevance DESC, id LIMIT ${limit}) m
         JOIN items i ON i.id = m.id
         ORDER BY m.pinned DESC, m.relevance DESC, m.id) t)) AS result)`;
}

/**
 * Only the filters that are set become conditions (rather than `$n IS NULL OR ...` for every one), so each shape
 * gets a plan of its own. All the passes sit in one statement, so a misspelt query costs one round trip, not four:
 * Postgres evaluates a CTE or sub-select only when the CASE that picks the answering pass reaches it, so a query that
 * matches strictly never runs the correction or the fuzzy passes.
 */
export function matchStatement(input: MatchInput): QueryConfig {
  const f = input.filter ?? {};
  const values: unknown[] = [];
  const param = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const words = param(input.words, 'text[]');
  const strictQuery = param(tsQueryText(input.words, '&'), 'text');
  const raw = param(input.raw, 'text');
  const conditions: string[] = [];
  if (f.categories?.length) conditions.push(`i.category = ANY(${param(f.categories, 'text[]')})`);
  if (f.excludeCategories?.length) conditions.push(`(i.category IS NULL OR NOT (i.category = ANY(${param(f.excludeCategories, 'text[]')})))`);
  if (f.minPrice != null) conditions.push(`i.price >= ${param(f.minPrice, 'float8')}`);
  if (f.maxPrice != null) conditions.push(`i.price <= ${param(f.maxPrice, 'float8')}`);
  if (f.inStockOnly ?? true) conditions.push('i.in_stock');
  if (f.excludeItemIds?.length) conditions.push(`NOT (i.id = ANY(${param(f.excludeItemIds, 'text[]')}))`);
  // Pinned items that match come first whatever their relevance (the rules place them afterwards).
  const pinned = input.pinnedIds.length ? `(id = ANY(${param(input.pinnedIds, 'text[]')}))` : 'false';
  const limit = param(input.limit, 'int');
  const correction = correctionSql({ words, similarity: param(CORRECTION_SIMILARITY, 'float8'), alternatives: param(ALTERNATIVES, 'int') });
  const last = `cardinality(${words})`;
  // The wide pass matches alternatives as whole words: as prefixes, short ones ("ki" for "kife") match too much.
  // The query CTEs are materialised so that under a generic plan each tsquery is parsed once, not once per row.
  const text = `WITH strict_q AS MATERIALIZED (SELECT to_tsquery('english', ${strictQuery}) AS tsq),
    ${passSql('p_strict', 'strict_q', true, conditions, limit, pinned)},
    alts AS MATERIALIZED (${correction}),
    best_q AS (
      SELECT to_tsquery('english', string_agg(fixes[1] || CASE WHEN k = ${last} THEN ':*' ELSE '' END, ' & ' ORDER BY k)) AS tsq,
             bool_or(fixes[1] <> input) AS changed
      FROM alts),
    ${passSql('p_best', 'best_q', true, conditions, limit, pinned)},
    wide_q AS (
      SELECT to_tsquery('english', string_agg(CASE WHEN cardinality(fixes) > 1 THEN '(' || array_to_string(fixes, ' | ') || ')'
               ELSE fixes[1] || CASE WHEN k = ${last} THEN ':*' ELSE '' END END, ' & ' ORDER BY k)) AS tsq,
             bool_or(cardinality(fixes) > 1) AS widened
      FROM alts),
    ${passSql('p_wide', 'wide_q', true, conditions, limit, pinned)},
    titles_q AS MATERIALIZED (SELECT ${raw} AS raw),
    ${passSql('p_titles', 'titles_q', false, conditions, limit, pinned)},
    stage AS (SELECT CASE
      WHEN EXISTS (SELECT 1 FROM p_strict_m) THEN 'strict'
      WHEN (SELECT changed FROM best_q) AND EXISTS (SELECT 1 FROM p_best_m) THEN 'corrected'
      WHEN (SELECT widened FROM wide_q) AND EXISTS (SELECT 1 FROM p_wide_m) THEN 'alternatives'
      ELSE 'similar' END AS name)
    SELECT stage.name AS stage,
      CASE stage.name
        WHEN 'strict' THEN (SELECT result FROM p_strict)
        WHEN 'corrected' THEN (SELECT result FROM p_best)
        WHEN 'alternatives' THEN (SELECT result FROM p_wide)
        ELSE (SELECT result FROM p_titles) END AS pass,
      CASE WHEN stage.name IN ('corrected', 'alternatives') THEN (SELECT json_agg(fixes ORDER BY k) FROM alts) END AS alternatives
    FROM stage`;
  return { name: statementName(text), text, values };
}
