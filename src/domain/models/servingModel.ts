// A loaded model version ready to serve: its trained components (each with the item vocabulary
// it was trained on) and their fusion weights. Scoring fuses per-user normalised component scores over the
// union vocabulary and keeps each part, so every served item can say which models placed it. Catalogue items
// the version was not trained on join the vocabulary while it is served (addItems), placed by the components
// that can vectorise new items (content), so a new item is recommendable the moment it is upserted.
import type { Recommender, ScoreContext } from '../../ml/recommender';
import type { ItemMeta, UserHistory } from '../../ml/interactions';
import { ComponentScores, finiteRange, type ComponentRow } from './componentScores';
import type { EmbeddingSource } from '../../ml/ann/embeddingSource';
import type { ItemVectorIndex } from '../../ml/ann/itemVectorIndex';
import { alignVocabularies, type VocabularyAlignment } from './vocabularyAlignment';

export interface ServingComponent {
  kind: string;
  model: Recommender;
  weight: number;
  /** The item ids the component was trained on, in its own index order. */
  itemIds: string[];
}

export interface FusedScores {
  fused: Float32Array;
  /** Normalised (0..1) score of each component over the union vocabulary, same order as `components`. */
  parts: Float32Array[];
  /** Serving-time signals added after fusion (context prior, search intent), with their weights. */
  signals?: { source: string; weight: number; part: Float32Array }[];
  /**
   * Set when the scores cover a candidate set only: position k describes union item items[k] (and every array
   * above is aligned with it). Absent: position i is union item i (the whole vocabulary).
   */
  items?: Int32Array;
}

/** A component that can score items it was not trained on (the content model vectorises their metadata). */
interface PlacesNewItems {
  /** Adds the item and returns its index in the component's own vocabulary. */
  addItem(meta: ItemMeta): number;
}

function placesNewItems(model: Recommender): model is Recommender & PlacesNewItems {
  return typeof (model as Partial<PlacesNewItems>).addItem === 'function';
}

/**
 * Adds a serving-time signal (0..1 per item, over the model's vocabulary) to fused scores as one more named
 * part, so it moves the ranking and is credited in the reasons like a model. `part` may be shorter than the
 * vocabulary (items added since it was built count as 0).
 */
export function addSignal(scores: FusedScores, source: string, weight: number, part: Float32Array): void {
  if (!(weight > 0)) return;
  const n = Math.min(part.length, scores.fused.length);
  for (let i = 0; i < n; i++) scores.fused[i] += weight * part[i];
  (scores.signals ??= []).push({ source, weight, part });
}

const EMPTY_SCORES = new Float32Array(0);

/**
 * Components whose scores do not depend on the shopper or the moment of the request (popularity, folded forward
 * only by a retrain): scored once per served model and vocabulary size instead of once per list.
 */
const SHOPPER_INDEPENDENT = new Set(['pop']);
// Best items of a shopper-independent component kept in order: enough for deep heads after filtering.
const FIXED_HEAD = 20_000;

interface Mapped extends ServingComponent {
  /** union index -> component index, or null when the component's vocabulary is the union itself. */
  toLocal: Int32Array | null;
  /** component index -> union index, or null for identity. */
  toUnion: Int32Array | null;
}

export class ServingModel {
  readonly itemIds: string[];
  readonly index: Map<string, number>;
  private readonly mapped: Mapped[];
  /** Dense per-component buffers reused across calls of scoreComponents (scoring is synchronous). */
  private readonly scratch: Float32Array[][] = [];
  /** Scores, range and best-first head of each shopper-independent component, per vocabulary size. */
  private readonly fixedRows = new Map<number, { size: number; local: Float32Array; min: number; range: number; sortedHead: Int32Array }>();
  /** Approximate item indexes of embedding components (by component position), built before the model is served. */
  private readonly itemIndexes = new Map<number, { source: EmbeddingSource; index: ItemVectorIndex }>();

  constructor(
    readonly versionId: number,
    /** What `modelVersion` shows clients, e.g. "v7 fusion(pop+itemknn)". */
    readonly label: string,
    components: ServingComponent[],
    /** Newest event id the version was trained on: the snapshot an online-off system serves from. */
    readonly trainedThroughEventId: bigint = 0n,
    /** The components' vocabularies aligned beforehand (a swap does it in slices); computed here when absent. */
    alignment: VocabularyAlignment = alignVocabularies(components.map((c) => c.itemIds)),
  ) {
    if (alignment.components.length !== components.length) throw new Error(`alignment of ${alignment.components.length} components for ${components.length}`);
    this.itemIds = alignment.union;
    this.index = alignment.index;
    this.mapped = components.map((c, k) => ({ ...c, ...alignment.components[k] }));
  }

  get numItems(): number {
    return this.itemIds.length;
  }

  get components(): readonly ServingComponent[] {
    return this.mapped;
  }

  component(kind: string): Recommender | undefined {
    return this.mapped.find((c) => c.kind === kind)?.model;
  }

  /** A history in the vocabulary of one component (its own item indices), or null without that component. */
  historyFor(kind: string, history: UserHistory): UserHistory | null {
    const c = this.mapped.find((m) => m.kind === kind);
    return c ? localHistory(c, history) : null;
  }

  /** Maps item ids (oldest first) to union indices, dropping ids no component has seen. */
  toHistory(entries: { itemId: string; time: number; type: number; weight: number }[]): UserHistory {
    // Plain loops: TypedArray.from with a map function goes through the iterator protocol, and this runs for
    // every list served and pushed.
    const indices = new Int32Array(entries.length);
    let n = 0;
    for (let k = 0; k < entries.length; k++) {
      const i = this.index.get(entries[k].itemId);
      indices[k] = i === undefined ? -1 : i;
      if (i !== undefined) n++;
    }
    const history = { items: new Int32Array(n), times: new Float64Array(n), types: new Uint8Array(n), weights: new Float32Array(n) };
    for (let k = 0, j = 0; k < entries.length; k++) {
      if (indices[k] < 0) continue;
      history.items[j] = indices[k];
      history.times[j] = entries[k].time;
      history.types[j] = entries[k].type;
      history.weights[j] = entries[k].weight;
      j++;
    }
    return history;
  }

  score(history: UserHistory, ctx?: ScoreContext): FusedScores {
    return this.fuse((c, out) => c.model.scoreUser(localHistory(c, history), out, ctx));
  }

  /**
   * Each component's raw scores for a history, with the min and range that normalise them, for ranking a
   * candidate set: fusion then costs O(candidates) (ComponentScores.restrict). Call `release()` when done.
   */
  scoreComponents(history: UserHistory, ctx?: ScoreContext): ComponentScores {
    const buffers = this.scratch.pop() ?? [];
    const rows: ComponentRow[] = this.mapped.map((c, k) => {
      if (SHOPPER_INDEPENDENT.has(c.kind)) return { kind: c.kind, weight: c.weight, toLocal: c.toLocal, toUnion: c.toUnion, ...this.fixedRow(k, c, ctx) };
      const served = this.approximateRow(k, c, history, ctx) ?? this.sparseRow(c, history, ctx);
      if (served) return served;
      let local = buffers[k];
      if (!local || local.length !== c.itemIds.length) local = new Float32Array(c.itemIds.length);
      c.model.scoreUser(localHistory(c, history), local, ctx);
      return { kind: c.kind, weight: c.weight, local, toLocal: c.toLocal, toUnion: c.toUnion, min: NaN, range: NaN };
    });
    return new ComponentScores(rows, this.numItems, (released) => {
      // A few sets at most: enough for the synchronous callers, bounded if one forgets to release.
      if (this.scratch.length < 2) this.scratch.push(released.map((r, k) => (SHOPPER_INDEPENDENT.has(r.kind) || r.scoreRow ? buffers[k] : r.local)));
    });
  }

  /**
   * Serves an embedding component from its approximate index from now on: its head comes from the index and only
   * the items read are scored. Call before the model is served (ItemIndexHook does, when the catalogue is large).
   */
  useItemIndex(kind: string, source: EmbeddingSource, index: ItemVectorIndex): void {
    const k = this.mapped.findIndex((c) => c.kind === kind);
    if (k < 0) throw new Error(`no component ${kind} in ${this.label}`);
    this.itemIndexes.set(k, { source, index });
  }

  /** The approximate index serving a component, or null (scored exactly over every item). */
  itemIndex(kind: string): ItemVectorIndex | null {
    return this.itemIndexes.get(this.mapped.findIndex((c) => c.kind === kind))?.index ?? null;
  }

  /**
   * Component k's row for this shopper from its index, or null (dense scoring) when it has none, when the
   * component's vocabulary grew past the index, or when the model has no user vector for this history.
   */
  private approximateRow(k: number, c: Mapped, history: UserHistory, ctx?: ScoreContext): ComponentRow | null {
    const served = this.itemIndexes.get(k);
    if (!served || served.index.numItems !== c.model.numItems) return null;
    const { source, index } = served;
    const w = source.userVector(localHistory(c, history), ctx);
    if (w === null) return null;
    return {
      kind: c.kind,
      weight: c.weight,
      local: EMPTY_SCORES,
      toLocal: c.toLocal,
      toUnion: c.toUnion,
      min: NaN,
      range: NaN,
      scoreRow: {
        numItems: index.numItems,
        scoreAt: (j) => source.scoreOf(w, j),
        search: (n, skip) => index.searchWithRange(w, n, skip),
      },
    };
  }

  /** Component c's row from the model's own sparse scores, or null (dense scoring) when it has none. */
  private sparseRow(c: Mapped, history: UserHistory, ctx?: ScoreContext): ComponentRow | null {
    // Items added to the vocabulary after training are past the model's arrays: those rows stay dense.
    const row = c.itemIds.length === c.model.numItems ? c.model.sparseScores?.(localHistory(c, history), ctx) : null;
    return row ? { kind: c.kind, weight: c.weight, local: EMPTY_SCORES, toLocal: c.toLocal, toUnion: c.toUnion, min: NaN, range: NaN, scoreRow: row } : null;
  }

  /** A shopper-independent component's scores, computed once per vocabulary size (new items change them). */
  private fixedRow(k: number, c: Mapped, ctx?: ScoreContext) {
    const hit = this.fixedRows.get(k);
    if (hit && hit.size === c.itemIds.length) return hit;
    const local = new Float32Array(c.itemIds.length);
    c.model.scoreUser({ items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) }, local, ctx);
    const head = Array.from(local.keys()).filter((j) => local[j] > -Infinity);
    head.sort((a, b) => local[b] - local[a] || a - b);
    const row = { size: local.length, local, ...finiteRange(local), sortedHead: Int32Array.from(head.slice(0, FIXED_HEAD)) };
    this.fixedRows.set(k, row);
    return row;
  }

  /** Fused item-to-item scores from every component that knows similarity; the item itself is excluded. */
  similar(item: number): FusedScores {
    const scores = this.fuse((c, out) => {
      const local = c.toLocal ? c.toLocal[item] : item;
      if (c.model.similarItems && local >= 0) c.model.similarItems(local, out);
      else out.fill(-Infinity);
    });
    scores.fused[item] = -Infinity;
    return scores;
  }

  /**
   * One component's own item-to-item similarity from `item` (union index), as a lookup by union index; null when
   * the component is not served, has no notion of similarity, or does not know the item. Cheaper than `similar`
   * (no fusion, no normalisation): explanations use it to find which history item an item is most like.
   */
  componentSimilarity(kind: string, item: number, into?: Float32Array): ((i: number) => number) | null {
    const c = this.mapped.find((m) => m.kind === kind);
    if (!c?.model.similarItems) return null;
    const local = c.toLocal ? c.toLocal[item] : item;
    if (local === undefined || local < 0) return null;
    const toLocal = c.toLocal;
    if (c.model.similarityTo) {
      const similarity = c.model.similarityTo(local);
      return (i) => {
        const j = toLocal ? toLocal[i] : i;
        return j === undefined || j < 0 ? 0 : similarity(j);
      };
    }
    // `into` (a caller's scratch row) spares a catalogue-sized allocation per call; only its first part is used.
    const row = into && into.length >= c.itemIds.length ? into.subarray(0, c.itemIds.length) : new Float32Array(c.itemIds.length);
    c.model.similarItems(local, row);
    return (i) => {
      const j = toLocal ? toLocal[i] : i;
      return j === undefined || j < 0 ? 0 : row[j];
    };
  }

  /**
   * Makes catalogue items this version was not trained on servable: each joins the union vocabulary, and every
   * component that can place new items (content) vectorises it; the others give it no evidence (score 0).
   * Ids already known are skipped. Returns the union indices of the items added. Runs synchronously, so a
   * request never sees a half-grown vocabulary.
   */
  addItems(metas: ItemMeta[]): number[] {
    const fresh: ItemMeta[] = [];
    const seen = new Set<string>();
    for (const m of metas) {
      if (this.index.has(m.id) || seen.has(m.id)) continue;
      seen.add(m.id);
      fresh.push(m);
    }
    if (!fresh.length) return [];
    const before = this.itemIds.length;
    const added: number[] = [];
    for (const m of fresh) {
      const u = this.itemIds.length;
      this.itemIds.push(m.id);
      this.index.set(m.id, u);
      added.push(u);
    }
    for (const c of this.mapped) {
      const grows = placesNewItems(c.model);
      const locals = grows ? fresh.map((m) => (c.model as Recommender & PlacesNewItems).addItem(m)) : [];
      const localBefore = c.itemIds.length;
      // A component that grew in step with the union keeps the identity mapping (no lookup arrays).
      if (!c.toLocal && grows && locals.every((l, k) => l === before + k)) {
        c.itemIds = c.itemIds.concat(fresh.map((m) => m.id));
        continue;
      }
      const toLocal = new Int32Array(this.itemIds.length).fill(-1);
      if (c.toLocal) toLocal.set(c.toLocal);
      else for (let i = 0; i < before; i++) toLocal[i] = i;
      let localAfter = localBefore;
      for (const l of locals) localAfter = Math.max(localAfter, l + 1);
      const toUnion = new Int32Array(localAfter).fill(-1);
      if (c.toUnion) toUnion.set(c.toUnion);
      else for (let j = 0; j < localBefore; j++) toUnion[j] = j;
      const ids = c.itemIds.slice();
      locals.forEach((l, k) => {
        toLocal[before + k] = l;
        toUnion[l] = before + k;
        ids[l] = fresh[k].id;
      });
      c.toLocal = toLocal;
      c.toUnion = toUnion;
      c.itemIds = ids;
    }
    return added;
  }

  /**
   * Each part's share of item i's fused score (models and serving-time signals), largest first, for
   * `ScoredItem.reasons`. `i` is a position of `scores` (a candidate position when scores.items is set).
   */
  shares(scores: FusedScores, i: number): { source: string; weight: number }[] {
    // Runs for every item of every served and pushed list: plain loops into one array (an inner helper closure
    // would also be wrapped by tsx's name-keeping at each call).
    const shares: { source: string; weight: number }[] = [];
    let total = 0;
    for (let k = 0; k < this.mapped.length; k++) {
      const value = this.mapped[k].weight * (scores.parts[k][i] ?? 0);
      if (value > 0) {
        shares.push({ source: this.mapped[k].kind, weight: value });
        total += value;
      }
    }
    for (const s of scores.signals ?? []) {
      const value = s.weight * (s.part[i] ?? 0);
      if (value > 0) {
        shares.push({ source: s.source, weight: value });
        total += value;
      }
    }
    for (const s of shares) s.weight /= total;
    return shares.sort((a, b) => b.weight - a.weight);
  }

  dispose(): void {
    this.itemIndexes.clear();
    for (const c of this.mapped) c.model.dispose();
  }

  private fuse(scoreComponent: (c: Mapped, out: Float32Array) => void): FusedScores {
    const n = this.numItems;
    const fused = new Float32Array(n);
    const parts = this.mapped.map((c) => {
      const local = new Float32Array(c.itemIds.length);
      scoreComponent(c, local);
      normaliseInPlace(local);
      let part = local;
      if (c.toUnion) {
        part = new Float32Array(n);
        const toUnion = c.toUnion;
        for (let j = 0; j < local.length; j++) if (toUnion[j] >= 0) part[toUnion[j]] = local[j];
      }
      for (let i = 0; i < n; i++) fused[i] += c.weight * part[i];
      return part;
    });
    return { fused, parts };
  }
}

function localHistory(c: Mapped, h: UserHistory): UserHistory {
  if (!c.toLocal) return h;
  const keep: number[] = [];
  for (let j = 0; j < h.items.length; j++) if (c.toLocal[h.items[j]] >= 0) keep.push(j);
  return {
    items: Int32Array.from(keep, (j) => (c.toLocal as Int32Array)[h.items[j]]),
    times: Float64Array.from(keep, (j) => h.times[j]),
    types: Uint8Array.from(keep, (j) => h.types[j]),
    weights: Float32Array.from(keep, (j) => h.weights[j]),
  };
}

/** Min-max scales finite scores to 0..1 in place; -Infinity/NaN (no evidence) become 0. */
export function normaliseInPlace(a: Float32Array): void {
  const { min, range } = finiteRange(a);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    a[i] = v > -Infinity && v < Infinity && range > 0 ? (v - min) / range : 0;
  }
}
