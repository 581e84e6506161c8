// Personalised product search: text relevance from Postgres blended with the shopper's fused preference for
// each candidate, the merchandising rules of the SEARCH surface, then the requested page with facet counts.
// Every search with a userId is stored as a SEARCH event (through EventService, so it flows through the online
// path) carrying the result's recommId, and its top categories become the shopper's current intent.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger';
import type { ItemRecord } from '../items/itemService';
import type { EventService } from '../events/eventService';
import type { ItemFilter } from '../recommendations/catalogIndex';
import type { ImpressionRecorder } from '../recommendations/impressionRecorder';
import type { ItemPreferences, RecommendationService, ServedItem } from '../recommendations/recommendationService';
import type { SearchIntentStore } from '../recommendations/searchIntent';
import { explain } from '../recommendations/explanations';
import type { RuleSet } from '../rules/ruleSet';
import type { QueryLog } from './queryLog';
import type { FacetCount, TextCandidate, TextMatching } from './textMatch';

export interface SearchRequest {
  query: string;
  userId: string | null;
  limit: number;
  offset: number;
  filter: ItemFilter | null;
  context?: Record<string, unknown> | null;
  clientIp?: string | null;
}

export interface SearchResult {
  recommId: string;
  query: string;
  total: number;
  /** Each with its item as the search read it, so the page is served without another read. */
  items: (ServedItem & { item: ItemRecord })[];
  facets: { categories: FacetCount[]; brands: FacetCount[] };
  modelVersion: string;
  /** True when nothing matched every word and the typo-tolerant passes answered. */
  fuzzy: boolean;
  /** The corrected query that matched ("hiking boots" for "hikng boots"), when a correction did. */
  correctedQuery: string | null;
  generatedAt: Date;
}

export interface SearchOptions {
  /** Share of the final score that comes from the shopper's preference (0 = plain relevance). */
  personalWeight: number;
}

// Candidates re-ranked for a shopper or by boost/bury rules: enough to reorder more than the first page.
const RERANKED_CANDIDATES = 100;
export const MAX_SEARCH_DEPTH = 1000;
// Results of a search whose categories become the shopper's current intent.
const INTENT_DEPTH = 10;

export class SearchService {
  private readonly candidateIds = new WeakMap<TextCandidate[], readonly string[]>();

  constructor(
    private readonly matcher: TextMatching,
    private readonly recommendations: RecommendationService,
    private readonly events: EventService,
    private readonly rules: { readonly set: RuleSet },
    private readonly intent: SearchIntentStore,
    private readonly queries: QueryLog,
    private readonly impressions: ImpressionRecorder,
    private readonly log: Logger,
    private readonly options: SearchOptions,
  ) {}

  async search(req: SearchRequest): Promise<SearchResult> {
    const recommId = randomUUID();
    const query = req.query.trim();
    const rules = this.rules.set;
    const pins = rules.pins('SEARCH');
    // Plain relevance needs only the page; a shopper's order or a boost may pull items up from deeper.
    const personal = req.userId !== null && this.options.personalWeight > 0;
    const reranked = personal || rules.scores('SEARCH');
    const depth = reranked ? Math.min(MAX_SEARCH_DEPTH, Math.max(RERANKED_CANDIDATES, 2 * (req.offset + req.limit))) : req.offset + req.limit;
    // The shopper's activity is read while Postgres matches.
    const [matches, signals] = await Promise.all([
      this.matcher.match(query, req.filter, depth, pins.map((p) => p.itemId)),
      personal && req.userId ? this.recommendations.shopperSignals(req.userId) : Promise.resolve(null),
    ]);
    const prefs = signals && req.userId ? this.recommendations.scoreItemsFor(req.userId, signals, this.idsOf(matches.candidates), req.context) : null;
    const ranked = this.rank(matches.candidates, prefs, rules);
    const ordered = placePins(ranked, pins);
    const page = ordered.slice(req.offset, req.offset + req.limit);
    // Reasons only for the page, and only once read (a client that does not select them never pays): naming the
    // history item behind a model's share is the costly part.
    const searchReason = explain({ source: 'search', query });
    const items = page.map((r) => {
      let reasons: ServedItem['reasons'] | undefined;
      return {
        id: r.candidate.item.id,
        score: r.score,
        item: r.candidate.item,
        get reasons() {
          return (reasons ??= reasonsOf(r, prefs, searchReason));
        },
      };
    });

    // A misspelt query that matched once corrected is remembered (and later suggested) as corrected.
    this.queries.record(matches.correctedQuery ?? query, matches.total);
    if (req.userId) {
      // The intent is sent first, then the SEARCH event (committed before the answer). Storing the event is what
      // tells the online updater, and the list it then pushes must already lean towards this search. Both are
      // awaited together: the event's notice goes out on the same Redis connection after its fraud check and its
      // commit, so Redis has applied the intent by then (one connection runs its commands in order), and the
      // search pays one wait of the event loop instead of two.
      // Named as corrected: the shopper later reads "Related to your search 'hiking boots'", not their typo.
      const intentQuery = matches.correctedQuery ?? query;
      const intent = this.intent.record(req.userId, intentQuery, categoryShares(ordered.slice(0, INTENT_DEPTH).map((r) => r.candidate))).catch((err) => this.log.warn({ err }, 'search intent not recorded'));
      // Committed but not flushed: the shopper was promised results, not that this record survives a crash.
      await Promise.all([intent, this.events.track({ userId: req.userId, type: 'SEARCH', query, context: req.context ?? null, recommId }, req.clientIp, { awaitFlush: false })]);
    }
    const modelVersion = prefs?.modelVersion ?? 'text';
    this.impressions.record({ recommId, userId: req.userId, surface: 'search', modelVersion, itemIds: items.map((i) => i.id), context: { ...(req.context ?? {}), query } });
    return {
      recommId,
      query,
      total: matches.total,
      items,
      facets: { categories: matches.categories, brands: matches.brands },
      modelVersion,
      fuzzy: matches.fuzzy,
      correctedQuery: matches.correctedQuery,
      generatedAt: new Date(),
    };
  }

  /** The candidates' item ids, one array per (cached) candidate list, so the shopper's scoring looks them up once. */
  private idsOf(candidates: TextCandidate[]): readonly string[] {
    let ids = this.candidateIds.get(candidates);
    if (!ids) {
      ids = candidates.map((c) => c.item.id);
      this.candidateIds.set(candidates, ids);
    }
    return ids;
  }

  /** final = ((1 - w) * relevance + w * preference) * rule multiplier, both normalised to 0..1 over the candidates. */
  private rank(candidates: TextCandidate[], prefs: ItemPreferences | null, rules: RuleSet): Ranked[] {
    const w = prefs ? this.options.personalWeight : 0;
    let maxRel = 1e-9;
    for (const c of candidates) maxRel = Math.max(maxRel, c.relevance);
    let maxPref = 0;
    if (prefs) for (const s of prefs.scores) maxPref = Math.max(maxPref, s);
    const ranked = candidates.map((candidate, k) => {
      const text = (1 - w) * (candidate.relevance / maxRel);
      const personal = prefs && maxPref > 0 ? (w * prefs.scores[k]) / maxPref : 0;
      return { candidate, k, text, personal, pinned: false, score: (text + personal) * rules.multiplierFor(candidate.item, 'SEARCH') };
    });
    // Stable: equal scores keep Postgres's relevance order.
    return ranked.sort((a, b) => b.score - a.score);
  }
}

interface Ranked {
  candidate: TextCandidate;
  /** Position among the candidates (what ItemPreferences is aligned with). */
  k: number;
  /** The text match's and the shopper's preference's parts of the score before rules. */
  text: number;
  personal: number;
  pinned: boolean;
  score: number;
}

/** The pre-rule score split between the text match and the models that placed the item; a pin is the rule's. */
function reasonsOf(r: Ranked, prefs: ItemPreferences | null, searchReason: string): ServedItem['reasons'] {
  if (r.pinned) return [{ source: 'rule', weight: 1, explanation: explain({ source: 'rule' }) }];
  const base = r.text + r.personal;
  const reasons: ServedItem['reasons'] = [{ source: 'search', weight: base > 0 ? r.text / base : 1, explanation: searchReason }];
  if (r.personal > 0 && prefs) for (const m of prefs.reasons(r.k)) reasons.push({ ...m, weight: (m.weight * r.personal) / base });
  return reasons.sort((a, b) => b.weight - a.weight);
}

/** Pinned items that matched the query take their slots; the rest keep their order around them. */
function placePins(ranked: Ranked[], pins: { itemId: string; slot: number }[]): Ranked[] {
  if (!pins.length) return ranked;
  const byId = new Map(ranked.map((r) => [r.candidate.item.id, r]));
  const placed = pins.filter((p) => byId.has(p.itemId));
  if (!placed.length) return ranked;
  const pinnedIds = new Set(placed.map((p) => p.itemId));
  const rest = ranked.filter((r) => !pinnedIds.has(r.candidate.item.id));
  const out: Ranked[] = [];
  let p = 0;
  let next = 0;
  while (out.length < ranked.length) {
    if (p < placed.length && (placed[p].slot <= out.length || next >= rest.length)) {
      const r = byId.get(placed[p++].itemId) as Ranked;
      out.push({ ...r, pinned: true });
    } else out.push(rest[next++]);
  }
  return out;
}

/** Each category's share of the given results. */
function categoryShares(results: TextCandidate[]): Map<string, number> {
  const shares = new Map<string, number>();
  for (const { item } of results) if (item.category) shares.set(item.category, (shares.get(item.category) ?? 0) + 1 / results.length);
  return shares;
}
