// A search query as words and as tsquery text: the one place that decides what of a query reaches to_tsquery.

/** Lower-cased words of a query (letters and digits only, so they are safe inside to_tsquery syntax). */
export function queryWords(query: string, maxWords = 12): string[] {
  return query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, maxWords)
    .map((w) => w.slice(0, 64));
}

/** A tsquery joining the words with & (strict) or | (fuzzy); the last word matches as a prefix. */
export function tsQueryText(words: string[], join: '&' | '|'): string {
  return words.map((w, k) => (k === words.length - 1 ? `${w}:*` : w)).join(` ${join} `);
}
