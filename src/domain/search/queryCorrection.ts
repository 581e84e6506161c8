// Typo correction against the catalogue's lexicon (search_words, pg_trgm): for each query word the lexicon does
// not hold (nor, for the last one, starts a lexicon word), its most trigram-similar lexicon words, best first.
import type { ItemRecord } from '../items/itemService';
import { queryWords } from './queryText';

// Lexicon words at least this trigram-similar to a misspelt word may replace it.
export const CORRECTION_SIMILARITY = 0.3;
// Alternatives kept per misspelt word: the best one is tried alone first, then all of them together.
export const ALTERNATIVES = 4;

/**
 * SQL of a CTE body with one row per query word: `k` (1-based), `input`, and `fixes`, the words it may stand
 * for, best first (the word alone when the lexicon knows it or nothing is similar enough). The prefix test runs on
 * the text_pattern_ops index (byte order: words starting with the input lie between it and the input with its last
 * character's successor); the trigram index answers `%`. Alternatives are kept to letters and digits, as query words
 * are, so both are safe inside to_tsquery syntax.
 */
export function correctionSql(p: { words: string; similarity: string; alternatives: string }): string {
  return `SELECT w.k::int AS k, w.input, CASE WHEN known.yes THEN ARRAY[w.input] ELSE coalesce(nullif(ARRAY(
        SELECT s.word FROM search_words s
        WHERE s.word % w.input AND similarity(s.word, w.input) >= ${p.similarity} AND s.word !~ '[^[:alnum:]]'
        ORDER BY similarity(s.word, w.input) DESC, s.word LIMIT ${p.alternatives}), '{}'), ARRAY[w.input]) END AS fixes
      FROM unnest(${p.words}) WITH ORDINALITY AS w(input, k)
      CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM search_words s WHERE s.word = w.input)
        OR (w.k = cardinality(${p.words}) AND EXISTS (
          SELECT 1 FROM search_words s
          WHERE s.word ~>=~ w.input AND s.word ~<~ (left(w.input, -1) || chr(ascii(right(w.input, 1)) + 1))
            AND starts_with(s.word, w.input))) AS yes) known`;
}

/**
 * The correction as the best match shows it: per word, the first alternative the item's text holds as a word, else
 * as the start of one (the search stems: "knife" matches "knives"), else the most similar one.
 */
export function correctionShown(alternatives: string[][], item: ItemRecord | undefined): string[] {
  const text = item ? [item.title, item.brand, item.category, item.description, ...item.tags].filter(Boolean).join(' ') : '';
  const itemWords = new Set(queryWords(text.slice(0, 2000), Infinity));
  const starts = (a: string) => [...itemWords].some((w) => w.startsWith(a));
  return alternatives.map((alts) => alts.find((a) => itemWords.has(a)) ?? alts.find(starts) ?? alts[0]);
}
