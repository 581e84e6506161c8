// Text relevance in Postgres, in one round trip: matches of a query over the items' weighted tsvector (GIN),
// their total, facet counts by category and brand, and the best candidates with their relevance. A strict
// pass wants every word (the last one as a prefix, for type-ahead). When it finds nothing, misspelt words are
// corrected to their most trigram-similar word of the catalogue's lexicon (pg_trgm) and the strict pass runs
// again ("hikng boots" finds hiking boots), then with any close alternative per word; as a last resort titles
// trigram-similar to the whole query match.
import type { Pool } from 'pg';
import type { ItemFilter } from '../recommendations/catalogIndex';
import type { ItemRecord } from '../items/itemService';
import { correctionShown } from './queryCorrection';
import { queryWords } from './queryText';
import { matchStatement, type MatchStage } from './textMatchSql';

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


interface ResultRow {
  stage: MatchStage;
  pass: {
    total: number;
    categories: FacetCount[];
    brands: FacetCount[];
    top: (Omit<ItemRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string; relevance: number })[];
  };
  /** Per query word, the words it may stand for (best first), when a correction answered. */
  alternatives: string[][] | null;
}

/** What SearchService needs of text matching (TextMatcher, or a cache in front of it). */
export interface TextMatching {
  match(query: string, filter: ItemFilter | null, candidates: number, pinnedIds: string[]): Promise<TextMatches>;
}

/**
 * Runs over a plain `pg` pool rather than Prisma: these are the hottest queries of the API and Prisma's raw-query
 * path costs a few milliseconds of CPU per call on top of the database's work. One named (prepared) statement per
 * search, whichever pass answers (see textMatchSql): under load every extra round trip waits its turn in the API's
 * event loop again.
 */
export class TextMatcher implements TextMatching {
  /** `db` is best a pool from createGenericPlanPool (generic plans). */
  constructor(private readonly db: Pick<Pool, 'query'>) {}

  async match(query: string, filter: ItemFilter | null, candidates: number, pinnedIds: string[]): Promise<TextMatches> {
    const words = queryWords(query);
    if (!words.length) return { total: 0, categories: [], brands: [], candidates: [], fuzzy: false, correctedQuery: null };
    const {
      rows: [{ stage, pass, alternatives }],
    } = await this.db.query<ResultRow>(matchStatement({ words, raw: query.toLowerCase(), filter, limit: candidates, pinnedIds }));
    // JSON carries timestamps as text; items served elsewhere carry Dates.
    const found = pass.top.map(({ relevance, ...item }) => ({ relevance, item: { ...item, createdAt: new Date(item.createdAt), updatedAt: new Date(item.updatedAt) } }));
    const result = { total: pass.total, categories: pass.categories, brands: pass.brands, candidates: found };
    if (stage === 'strict') return { ...result, fuzzy: false, correctedQuery: null };
    if (stage === 'similar' || !alternatives) return { ...result, fuzzy: pass.total > 0, correctedQuery: null };
    const corrected = stage === 'corrected' ? alternatives.map((a) => a[0]) : correctionShown(alternatives, found[0]?.item);
    return { ...result, fuzzy: true, correctedQuery: corrected.join(' ') };
  }
}
