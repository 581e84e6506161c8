// Turns ranked positions into a served list with its reasons: each model's and signal's share of an item's
// score, and the recent history item the item is most like ("Because you viewed X").
import { randomUUID } from 'node:crypto';
import type { FusedScores, ServingModel } from '../models/servingModel';
import type { HistoryEntry } from '../users/userStateStore';
import type { CatalogIndex } from './catalogIndex';
import { explain } from './explanations';
import type { ServedItem, ServedList } from './recommendationService';

// Recent distinct history items an explanation may name ("Because you viewed X").
const ANCHOR_CANDIDATES = 3;

export class ListExplainer {
  /** Scratch similarity rows for explanations computed synchronously (a list's reasons), reused across lists. */
  private readonly anchorRows: Float32Array[] = [];

  constructor(private readonly catalog: CatalogIndex) {}

  /**
   * The served list with its reasons. `list.indices` are positions of `scores` (candidate positions when
   * scores.items is set). `reuseRows` lets explanations use this service's scratch rows: only for lists built
   * and explained synchronously.
   */
  toList(
    model: ServingModel,
    userId: string | null,
    scores: FusedScores,
    list: { indices: number[]; scores: number[]; pinned: Set<number> },
    entries: HistoryEntry[],
    phrases: { contextPhrase?: string; query?: string } = {},
    reuseRows = false,
  ): ServedList {
    const anchors = this.anchorFinder(model, entries, reuseRows);
    const unionOf = (k: number) => (scores.items ? scores.items[k] : k);
    return {
      recommId: randomUUID(),
      userId,
      modelVersion: model.label,
      generatedAt: new Date(),
      items: list.indices.map((k, r) => ({
        id: model.itemIds[unionOf(k)],
        score: list.scores[r],
        reasons: list.pinned.has(k) ? [{ source: 'rule', weight: 1, explanation: explain({ source: 'rule' }) }] : this.reasonsOf(model, scores, k, unionOf(k), anchors, phrases),
      })),
    };
  }

  /** Reasons of the item at position k of `scores`, which is vocabulary item i. */
  reasonsOf(
    model: ServingModel,
    scores: FusedScores,
    k: number,
    i: number,
    anchors: (source: string, i: number) => { title: string; type: number } | undefined,
    phrases: { contextPhrase?: string; query?: string },
  ): ServedItem['reasons'] {
    return model.shares(scores, k).map(({ source, weight }) => ({
      source,
      weight,
      // Only popularity's sentence names the category ("Popular in Outdoor this week").
      explanation: explain({ source, anchor: anchors(source, i), category: source === 'pop' ? this.catalog.categoryOf(model, i) : null, ...phrases }),
    }));
  }

  /**
   * Finds, for an explained item, the recent history item most similar to it under the model being credited
   * ("Because you viewed X"). Only the last few distinct history items are considered: they drive the list and
   * keep this cheap.
   */
  anchorFinder(model: ServingModel, entries: HistoryEntry[], reuseRows = false): (source: string, i: number) => { title: string; type: number } | undefined {
    const recent: { index: number; type: number }[] = [];
    for (let j = entries.length - 1; j >= 0 && recent.length < ANCHOR_CANDIDATES; j--) {
      const index = model.index.get(entries[j].itemId);
      if (index !== undefined && !recent.some((r) => r.index === index)) recent.push({ index, type: entries[j].type });
    }
    if (!recent.length) return () => undefined;
    const rows = new Map<string, (((i: number) => number) | null)[]>();
    return (source, i) => {
      if (source !== 'itemknn' && source !== 'content' && source !== 'seq') return undefined;
      if (source === 'seq') return { title: this.catalog.titleOf(model, recent[0].index), type: recent[0].type };
      let similarity = rows.get(source);
      if (!similarity) {
        const base = rows.size * ANCHOR_CANDIDATES;
        similarity = recent.map((r, k) => model.componentSimilarity(source, r.index, reuseRows ? this.anchorRow(base + k, model.numItems) : undefined));
        rows.set(source, similarity);
      }
      let best = -1;
      let bestScore = 0;
      similarity.forEach((sim, k) => {
        const v = sim ? sim(i) : 0;
        if (v > bestScore) {
          bestScore = v;
          best = k;
        }
      });
      return best < 0 ? undefined : { title: this.catalog.titleOf(model, recent[best].index), type: recent[best].type };
    };
  }

  /** Scratch row `slot`, at least `size` long (grown with headroom as the vocabulary grows). */
  private anchorRow(slot: number, size: number): Float32Array {
    let row = this.anchorRows[slot];
    if (!row || row.length < size) this.anchorRows[slot] = row = new Float32Array(Math.ceil(size * 1.1));
    return row;
  }
}
