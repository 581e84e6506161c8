// Builds ranked, filtered, explained lists: personal recommendations, similar items and trending, and scores
// given items for a shopper (personalised search). The same `listForHistory` serves the query path and the
// online updater, so a pushed list is what a query would have returned. Every list goes through the same
// steps: model scores, serving-time signals (context prior, current search intent), the merchandising rules of
// its surface (boost, bury, pin), the catalogue checks (stock, filters) and, for personal lists, a category cap.
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../errors';
import type { Logger } from '../../logger';
import type { ModelRouter } from '../models/modelRouter';
import { addSignal, type FusedScores, type ServingModel } from '../models/servingModel';
import { weigh, type RecentActivity, type UserHistoryReader } from '../users/userHistory';
import { RULE_SCORE_FLOOR, type RuleSet } from '../rules/ruleSet';
import type { RuleSurface } from '../rules/rule';
import type { CatalogIndex, ItemFilter } from './catalogIndex';
import type { ImpressionRecorder } from './impressionRecorder';
import { explain } from './explanations';
import { ListExplainer } from './listExplainer';
import { assembleList } from './listAssembly';
import { contextFeatures, describeContext, type ContextPrior } from './contextPrior';
import { CandidateGenerator, DEFAULT_CANDIDATE_LIMITS, positionIn, type CandidateLimits, type Candidates } from './candidateSet';
import { ItemLookups } from './itemLookup';
import type { Intent, SearchIntentStore } from './searchIntent';
import type { ServedPages } from './servedPages';

export interface ServedItem {
  id: string;
  score: number;
  reasons: { source: string; weight: number; explanation?: string }[];
}

export interface ServedList {
  recommId: string;
  userId: string | null;
  modelVersion: string;
  generatedAt: Date;
  items: ServedItem[];
  /** The A/B experiment and arm that served the list, recorded with its impression; null outside experiments. */
  experimentId?: string | null;
  arm?: string | null;
}

/** Which page of a personal list: by offset, or the next items not yet served under a recommId. */
export interface PageRequest {
  offset?: number;
  recommId?: string | null;
}

/** Serving-time inputs of a list besides the history. */
export interface ListExtras {
  offset?: number;
  /** Item ids that must not appear (already served under the recommId). */
  exclude?: Set<string>;
  intent?: Intent | null;
}

/** What personalising a search reads of the shopper before the scoring (see shopperSignals). */
export interface ShopperSignals {
  activity: RecentActivity;
  intent: Intent | null;
}

/** A shopper's fused preference for given items (personalised search), aligned with the ids asked about. */
export interface ItemPreferences {
  modelVersion: string;
  /** Fused score per item (0 for items the model cannot place). */
  scores: Float32Array;
  reasons(k: number): ServedItem['reasons'];
}

export interface RecommendationOptions {
  rules?: { readonly set: RuleSet };
  contextPrior?: ContextPrior;
  intent?: SearchIntentStore;
  pages?: ServedPages;
  /** Largest share of one category in a list of personal recommendations (and in every head of it); null or 1 = no cap. */
  maxCategoryShare?: number | null;
  /** Weight of the context prior for shoppers with history, relative to all models together. */
  contextWeight?: number;
  /** Weight of the current search intent, relative to all models together. */
  intentWeight?: number;
  /** Sizes of the candidate set a personal list is ranked from; null ranks the whole catalogue every time. */
  candidates?: CandidateLimits | null;
  log?: Logger;
}

const NO_MODEL = 'none';

/**
 * score' = (score + floor) * multiplier for every ranked (finite) score; -Infinity stays out of the list.
 * `items` maps positions of a candidate set to vocabulary indices (absent: positions are indices).
 */
function applyMultipliers(fused: Float32Array, multipliers: Float32Array, items?: Int32Array): void {
  let max = 0;
  for (let i = 0; i < fused.length; i++) if (fused[i] > max && fused[i] < Infinity) max = fused[i];
  const floor = RULE_SCORE_FLOOR * (max > 0 ? max : 1);
  for (let k = 0; k < fused.length; k++) {
    const i = items ? items[k] : k;
    if (i < multipliers.length && fused[k] > -Infinity) fused[k] = (fused[k] + floor) * multipliers[i];
  }
}
/** What the models score for one shopper: their history in the model's vocabulary, and the request's context. */
function scoringInput(model: ServingModel, activity: RecentActivity, context: Record<string, unknown> | null | undefined) {
  const history = model.toHistory(weigh(activity.entries));
  // An online embedding is only meaningful for the model version whose item embeddings it was trained against.
  const userEmbedding = activity.embedding?.versionId === model.versionId ? activity.embedding.vector : undefined;
  return { history, scoring: { now: Date.now() / 1000, context: context ?? undefined, userEmbedding } };
}

// How long a list waits for Redis to remember its served items.
const REMEMBER_WAIT_MS = 200;
// A shopper with no history is answered mainly from what sells in their context.
const COLD_CONTEXT_WEIGHT = 2;

export class RecommendationService {
  private readonly contextWeight: number;
  private readonly intentWeight: number;
  private readonly candidates: CandidateGenerator | null;
  private readonly explainer: ListExplainer;
  private readonly lookups = new ItemLookups();

  constructor(
    private readonly models: ModelRouter,
    private readonly catalog: CatalogIndex,
    private readonly histories: UserHistoryReader,
    private readonly impressions: ImpressionRecorder,
    private readonly onlineUpdates: boolean,
    private readonly options: RecommendationOptions = {},
  ) {
    this.contextWeight = options.contextWeight ?? 0.1;
    this.intentWeight = options.intentWeight ?? 0.5;
    this.explainer = new ListExplainer(catalog);
    this.candidates = options.candidates === null ? null : new CandidateGenerator(catalog, options.candidates ?? DEFAULT_CANDIDATE_LIMITS);
  }

  /** The history a list is computed from: live, or frozen at the model's training snapshot when online updates are off. */
  private history(userId: string): Promise<RecentActivity> {
    const model = this.models.forUser(userId)?.model;
    return this.histories.recent(userId, this.onlineUpdates || !model ? undefined : model.trainedThroughEventId);
  }

  /** The categories the shopper's searches of this visit led to (null without searches or a store). */
  intentOf(userId: string): Promise<Intent | null> {
    return this.options.intent ? this.options.intent.get(userId).catch(() => null) : Promise.resolve(null);
  }

  /** intentOf for several shoppers in one round trip; with Redis away, none (lists are still served). */
  intentsOf(userIds: string[]): Promise<(Intent | null)[]> {
    const none = () => userIds.map(() => null);
    return this.options.intent ? this.options.intent.getMany(userIds).catch(none) : Promise.resolve(none());
  }

  async recommend(userId: string, limit: number, filter?: ItemFilter | null, context?: Record<string, unknown> | null, page: PageRequest = {}): Promise<ServedList> {
    const pages = this.options.pages;
    const [activity, intent, served] = await Promise.all([
      this.history(userId),
      this.intentOf(userId),
      page.recommId && pages ? pages.served(page.recommId, userId) : Promise.resolve(undefined),
    ]);
    // With a recommId the items it already served are skipped instead of counted by offset.
    const list = this.listForHistory(userId, activity, limit, filter, context, { offset: page.recommId ? 0 : page.offset ?? 0, exclude: served, intent });
    if (page.recommId) list.recommId = page.recommId;
    const itemIds = list.items.map((i) => i.id);
    if (pages) {
      // Best effort within a short wait: with Redis away the list is still served (its next page may repeat items).
      const remembered = pages.remember(list.recommId, userId, itemIds).catch((err) => this.options.log?.warn({ err }, 'served page not remembered'));
      await Promise.race([remembered, new Promise((resolve) => setTimeout(resolve, REMEMBER_WAIT_MS).unref())]);
    }
    this.impressions.record({ recommId: list.recommId, userId, surface: 'recommendations', modelVersion: list.modelVersion, itemIds, context: context ?? null, experimentId: list.experimentId ?? null, arm: list.arm ?? null });
    return list;
  }

  /** A personal list without recording an impression (bundles fill from it). */
  async rankFor(userId: string, limit: number, filter?: ItemFilter | null): Promise<ServedList> {
    const [activity, intent] = await Promise.all([this.history(userId), this.intentOf(userId)]);
    return this.listForHistory(userId, activity, limit, filter, null, { intent });
  }

  /**
   * Ranks items for a user's recent activity. Pure CPU work over the in-memory model: a candidate set is scored,
   * fused and ranked; when its eligible items cannot fill the page (a narrow filter, a deep page, a tiny
   * catalogue) the whole catalogue is ranked instead, so a list is never cut short by candidate generation.
   */
  listForHistory(userId: string | null, activity: RecentActivity, limit: number, filter?: ItemFilter | null, context?: Record<string, unknown> | null, extras: ListExtras = {}): ServedList {
    const choice = this.models.forUser(userId);
    if (!choice) return this.empty(userId);
    const list = this.candidateList(choice.model, userId, activity, limit, filter, context, extras) ?? this.catalogueList(choice.model, userId, activity, limit, filter, context, extras);
    return { ...list, experimentId: choice.experimentId, arm: choice.arm };
  }

  /** A personal list ranked over the candidate set only, or null when the candidates cannot fill the page. */
  private candidateList(model: ServingModel, userId: string | null, activity: RecentActivity, limit: number, filter: ItemFilter | null | undefined, context: Record<string, unknown> | null | undefined, extras: ListExtras): ServedList | null {
    if (!this.candidates) return null;
    const offset = extras.offset ?? 0;
    const intent = extras.intent ?? null;
    const { history, scoring } = scoringInput(model, activity, context);
    const components = model.scoreComponents(history, scoring);
    try {
      const exclude = extras.exclude?.size ? new Set([...extras.exclude].flatMap((id) => model.index.get(id) ?? [])) : undefined;
      const skip = this.catalog.skipper(model, filter, new Set(history.items), exclude);
      const features = contextFeatures(context, new Date());
      const contextRows = this.options.contextPrior?.rowsFor(model, features) ?? [];
      const rules = this.options.rules?.set;
      const multipliers = rules?.multipliers(model, this.catalog, 'RECOMMENDATIONS') ?? null;
      const pins = this.pinsOf(model, 'RECOMMENDATIONS');
      const candidates = this.candidates.generate(model, {
        components,
        skip,
        need: offset + limit,
        history: history.items,
        categories: [...(intent?.categories.keys() ?? []), ...(filter?.categories ?? [])],
        contextRows,
        multipliers,
        pins: pins.map((p) => p.index),
      });
      const { items } = candidates;
      const scores = components.restrict(items);
      const contextPhrase = this.addSignalsAt(model, scores, candidates, history.items.length, contextRows, intent) ? describeContext(features) : undefined;
      if (multipliers) applyMultipliers(scores.fused, multipliers, items);
      // Candidates passed `skip` when they joined, except pinned items, which join whatever it says.
      const pinned = new Set(pins.map((p) => p.index));
      const list = assembleList({
        scores: scores.fused,
        skip: pinned.size ? (k) => pinned.has(items[k]) && skip(items[k]) : () => false,
        limit,
        offset,
        categoryOf: (k) => this.catalog.categoryOf(model, items[k]),
        maxCategoryShare: this.options.maxCategoryShare ?? null,
        pins: pins.flatMap((p) => {
          const k = candidates.positionOf(p.index);
          return k < 0 ? [] : [{ index: k, slot: p.slot }];
        }),
      });
      if (list.indices.length < limit) return null;
      return this.explainer.toList(model, userId, scores, list, activity.entries, { contextPhrase, query: intent?.query }, true);
    } finally {
      components.release();
    }
  }

  /**
   * The context prior and search intent at the candidates, as named parts of `scores` (positions aligned with
   * candidates.items), weighted as in personalScores. Returns whether the context prior had data.
   */
  private addSignalsAt(model: ServingModel, scores: FusedScores, candidates: Candidates, historyLength: number, contextRows: { indices: Int32Array; scores: Float32Array }[], intent: Intent | null): boolean {
    const { items } = candidates;
    const modelsWeight = model.components.reduce((s, c) => s + Math.max(0, c.weight), 0) || 1;
    if (contextRows.length) {
      const part = new Float32Array(items.length);
      for (const row of contextRows) {
        for (let r = 0; r < row.indices.length; r++) {
          const k = candidates.positionOf(row.indices[r]);
          if (k >= 0) part[k] += row.scores[r] / contextRows.length;
        }
      }
      addSignal(scores, 'context', modelsWeight * (historyLength ? this.contextWeight : COLD_CONTEXT_WEIGHT), part);
    }
    if (intent) addSignal(scores, 'intent', modelsWeight * this.intentWeight, this.intentAt(model, intent, items));
    return contextRows.length > 0;
  }

  /**
   * The intent's weight of each item's category (0 for other categories): at the given vocabulary indices, or
   * over the whole vocabulary when `items` is null.
   */
  private intentAt(model: ServingModel, intent: Intent, items: Int32Array | null): Float32Array {
    const { codes, size, names } = this.catalog.categoryCodes(model);
    const byCode = Float32Array.from(names, (name) => intent.categories.get(name) ?? 0);
    const part = new Float32Array(items ? items.length : model.numItems);
    for (let k = 0; k < part.length; k++) {
      const i = items ? items[k] : k;
      if (i < size && codes[i] >= 0) part[k] = byCode[codes[i]];
    }
    return part;
  }

  /** The personal list ranked over the whole catalogue (dense scores): the fallback of candidateList. */
  private catalogueList(model: ServingModel, userId: string | null, activity: RecentActivity, limit: number, filter: ItemFilter | null | undefined, context: Record<string, unknown> | null | undefined, extras: ListExtras): ServedList {
    const { scores, interacted, contextPhrase } = this.personalScores(model, activity, context, extras.intent ?? null);
    const exclude = extras.exclude?.size ? new Set([...extras.exclude].flatMap((id) => model.index.get(id) ?? [])) : undefined;
    const list = this.assemble(model, 'RECOMMENDATIONS', scores, this.catalog.skipper(model, filter, interacted, exclude), limit, extras.offset ?? 0, this.options.maxCategoryShare ?? null);
    return this.explainer.toList(model, userId, scores, list, activity.entries, { contextPhrase, query: extras.intent?.query }, true);
  }

  async similar(itemId: string, limit: number, userId?: string | null): Promise<ServedList> {
    const served = await this.similarList(itemId, limit, userId);
    this.impressions.record({ recommId: served.recommId, userId: userId ?? null, surface: 'similarItems', modelVersion: served.modelVersion, itemIds: served.items.map((x) => x.id), context: { itemId }, experimentId: served.experimentId ?? null, arm: served.arm ?? null });
    return served;
  }

  /** Items similar to `itemId` without recording an impression (bundles fill from it). */
  async similarList(itemId: string, limit: number, userId?: string | null): Promise<ServedList> {
    const choice = this.models.forUser(userId ?? null);
    if (!choice) return this.empty(userId ?? null);
    const { model } = choice;
    const i = model.index.get(itemId);
    if (i === undefined || !this.catalog.isKnown(model, i)) throw new NotFoundError('Item', itemId);
    const interacted = new Set<number>();
    if (userId) {
      for (const e of (await this.history(userId)).entries) {
        const j = model.index.get(e.itemId);
        if (j !== undefined) interacted.add(j);
      }
    }
    const scores = model.similar(i);
    // An item with no similarity evidence is not "similar", however short the list gets (a pin may still place it).
    const fused = scores.fused;
    for (let j = 0; j < fused.length; j++) if (!(fused[j] > 0)) fused[j] = -Infinity;
    const list = this.assemble(model, 'SIMILAR_ITEMS', scores, this.catalog.skipper(model, { excludeInteracted: Boolean(userId) }, interacted), limit, 0, null);
    return { ...this.explainer.toList(model, userId ?? null, scores, list, []), experimentId: choice.experimentId, arm: choice.arm };
  }

  trending(limit: number, category?: string | null): ServedList {
    const model = this.models.forUser(null)?.model;
    const pop = model?.component('pop');
    if (!model || !pop) return this.empty(null);
    const fused = new Float32Array(model.numItems);
    const local = new Float32Array(pop.numItems);
    pop.scoreUser({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) }, local, { now: Date.now() / 1000 });
    const popComponent = model.components.find((c) => c.kind === 'pop');
    popComponent?.itemIds.forEach((id, j) => (fused[model.index.get(id) as number] = local[j]));
    const scores: FusedScores = { fused, parts: [] };
    const list = this.assemble(model, 'TRENDING', scores, this.catalog.skipper(model, category ? { categories: [category] } : null, new Set()), limit, 0, null);
    return {
      recommId: randomUUID(),
      userId: null,
      modelVersion: model.label,
      generatedAt: new Date(),
      items: list.indices.map((i, r) => ({
        id: model.itemIds[i],
        score: list.scores[r],
        reasons: list.pinned.has(i)
          ? [{ source: 'rule', weight: 1, explanation: explain({ source: 'rule' }) }]
          : [{ source: 'pop', weight: 1, explanation: explain({ source: 'pop', category: category ?? this.catalog.categoryOf(model, i) }) }],
      })),
    };
  }

  /**
   * The shopper's fused preference (models, context prior, search intent) for each of `itemIds`, with the
   * reasons; null before any model is served. Used to personalise search results.
   */
  async scoreItems(userId: string, itemIds: string[], context?: Record<string, unknown> | null): Promise<ItemPreferences | null> {
    const signals = await this.shopperSignals(userId);
    return signals && this.scoreItemsFor(userId, signals, itemIds, context);
  }

  /**
   * What scoreItemsFor reads of a shopper (recent activity, search intent); null before any model is served.
   * Apart from the scoring so that a search reads it while Postgres is still matching the text.
   */
  async shopperSignals(userId: string): Promise<ShopperSignals | null> {
    if (!this.models.forUser(userId)) return null;
    const [activity, intent] = await Promise.all([this.history(userId), this.intentOf(userId)]);
    return { activity, intent };
  }

  /**
   * scoreItems with the shopper's signals already read: CPU only. Passing the same `itemIds` array again (a cached
   * search's candidates) skips looking the ids up; the array must not change afterwards.
   */
  scoreItemsFor(userId: string, { activity, intent }: ShopperSignals, itemIds: readonly string[], context?: Record<string, unknown> | null): ItemPreferences | null {
    // Read now, after the caller's awaits: a model swapped meanwhile is the one to score with.
    const model = this.models.forUser(userId)?.model;
    if (!model) return null;
    // Only the items asked about are fused (with each model's whole-catalogue normalisation), not the catalogue.
    const { history, scoring } = scoringInput(model, activity, context);
    const components = model.scoreComponents(history, scoring);
    const { indices, known, at } = this.lookups.of(model, itemIds);
    let scores: FusedScores;
    let contextPhrase: string | undefined;
    try {
      scores = components.restrict(known);
      const features = contextFeatures(context, new Date());
      const contextRows = this.options.contextPrior?.rowsFor(model, features) ?? [];
      const candidates: Candidates = { items: known, positionOf: (u) => positionIn(known, u) };
      if (this.addSignalsAt(model, scores, candidates, history.items.length, contextRows, intent)) contextPhrase = describeContext(features);
    } finally {
      components.release();
    }
    const anchors = this.explainer.anchorFinder(model, activity.entries);
    return {
      modelVersion: model.label,
      scores: Float32Array.from(at, (k) => (k >= 0 ? scores.fused[k] : 0)),
      reasons: (k) => (at[k] >= 0 ? this.explainer.reasonsOf(model, scores, at[k], indices[k], anchors, { contextPhrase, query: intent?.query }) : []),
    };
  }

  /** Model scores plus the serving-time signals for one shopper's activity and request context. */
  private personalScores(model: ServingModel, activity: RecentActivity, context: Record<string, unknown> | null | undefined, intent: Intent | null) {
    const { history, scoring } = scoringInput(model, activity, context);
    const scores = model.score(history, scoring);
    // Signals weigh relative to all models together, so they mean the same whatever the fusion weights are.
    const modelsWeight = model.components.reduce((s, c) => s + Math.max(0, c.weight), 0) || 1;
    let contextPhrase: string | undefined;
    const features = contextFeatures(context, new Date());
    const prior = this.options.contextPrior?.scoresFor(model, features);
    if (prior) {
      addSignal(scores, 'context', modelsWeight * (history.items.length ? this.contextWeight : COLD_CONTEXT_WEIGHT), prior);
      contextPhrase = describeContext(features);
    }
    if (intent) addSignal(scores, 'intent', modelsWeight * this.intentWeight, this.intentAt(model, intent, null));
    return { scores, interacted: new Set(history.items), contextPhrase };
  }

  /** Rules of the surface (boost/bury multiply the scores in place, pins take their slots), then the page. */
  private assemble(model: ServingModel, surface: RuleSurface, scores: FusedScores, skip: (i: number) => boolean, limit: number, offset: number, maxCategoryShare: number | null) {
    const rules = this.options.rules?.set;
    const multipliers = rules?.multipliers(model, this.catalog, surface);
    if (multipliers) applyMultipliers(scores.fused, multipliers);
    const pins = this.pinsOf(model, surface);
    return assembleList({ scores: scores.fused, skip, limit, offset, categoryOf: (i) => this.catalog.categoryOf(model, i), maxCategoryShare, pins });
  }

  /** The surface's pins that name items of the model's vocabulary, as indices with their slots. */
  private pinsOf(model: ServingModel, surface: RuleSurface): { index: number; slot: number }[] {
    return (this.options.rules?.set.pins(surface) ?? []).flatMap((p) => {
      const index = model.index.get(p.itemId);
      return index === undefined ? [] : [{ index, slot: p.slot }];
    });
  }

  private empty(userId: string | null): ServedList {
    return { recommId: randomUUID(), userId, modelVersion: NO_MODEL, generatedAt: new Date(), items: [] };
  }
}
