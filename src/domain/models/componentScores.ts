// One shopper's raw component scores, each in its component's own vocabulary, with the min and range that
// normalise it. Ranking reads them only at candidate items, so fusion and normalisation cost O(candidates)
// instead of O(catalogue); the dense buffers are the model's scratch, returned by `release`.
import type { FusedScores } from './servingModel';
import { ScoreHeap } from '../../ml/scoreHeap';
import type { ScoreRow } from '../../ml/recommender';

export interface ComponentRow {
  kind: string;
  weight: number;
  /** Raw scores in the component's own index order. */
  local: Float32Array;
  /** union index -> local index (-1: unknown to the component), or null for identity. */
  toLocal: Int32Array | null;
  /** local index -> union index, or null for identity. */
  toUnion: Int32Array | null;
  /** Min and range of the finite scores; NaN until computed (by the first head taken or score read). */
  min: number;
  range: number;
  /**
   * For a component whose scores do not depend on the shopper (popularity): local indices of its best items,
   * best first, computed once per served model; its head is then read from here instead of scanning.
   */
  sortedHead?: Int32Array;
  /**
   * Set when the component is served without a dense score array: from an approximate item index (embedding
   * models, catalogues of ANN_MIN_ITEMS and more) or from its own sparse scores (item-to-item). `local` is then
   * empty, scores are computed per item read, and the head and the min and range come from the row.
   */
  scoreRow?: ScoreRow;
}

export class ComponentScores {
  constructor(
    readonly rows: ComponentRow[],
    /** Size of the union vocabulary. */
    readonly numItems: number,
    private readonly onRelease: (rows: ComponentRow[]) => void,
  ) {}

  /** Component c's score of union item u, min-max normalised to 0..1 over the whole catalogue (0 = no evidence). */
  normalisedAt(c: number, u: number): number {
    const row = this.rows[c];
    if (Number.isNaN(row.range)) Object.assign(row, row.scoreRow ? rowRange(row.scoreRow) : finiteRange(row.local));
    const j = row.toLocal ? row.toLocal[u] : u;
    const size = row.scoreRow ? row.scoreRow.numItems : row.local.length;
    if (j === undefined || j < 0 || j >= size) return 0;
    const v = row.scoreRow ? row.scoreRow.scoreAt(j) : row.local[j];
    return v > -Infinity && v < Infinity && row.range > 0 ? (v - row.min) / row.range : 0;
  }

  /** The fused model score (weighted sum of normalised parts) of union item u. */
  fusedAt(u: number): number {
    let s = 0;
    for (let c = 0; c < this.rows.length; c++) s += this.rows[c].weight * this.normalisedAt(c, u);
    return s;
  }

  /**
   * Adds to `out` the union indices of component c's `n` best items for which `skip` is false. The heap
   * rejects most items on their score alone, so `skip` runs for a few items only.
   */
  headOf(c: number, n: number, skip: (u: number) => boolean, out: (u: number) => void): void {
    const row = this.rows[c];
    const toUnion = row.toUnion;
    // In the component's own indices; the caller's predicate itself when they coincide (it runs per item scanned).
    const skipLocal = toUnion ? (j: number) => toUnion[j] < 0 || skip(toUnion[j]) : skip;
    const eligible = (j: number) => !skipLocal(j);
    if (row.scoreRow) {
      const found = row.scoreRow.search(n, skipLocal);
      if (Number.isNaN(row.range)) Object.assign(row, rangeOf(found));
      for (let k = 0; k < found.indices.length; k++) out(toUnion ? toUnion[found.indices[k]] : found.indices[k]);
      return;
    }
    if (row.sortedHead && this.headFromSorted(row, n, eligible, out)) return;
    const head = headWithRange(row, n, eligible);
    for (let k = 0; k < head.length; k++) out(toUnion ? toUnion[head[k]] : head[k]);
  }

  /** Takes the head from the precomputed order; false (nothing added) when too many of it are ineligible. */
  private headFromSorted(row: ComponentRow, n: number, eligible: (j: number) => boolean, out: (u: number) => void): boolean {
    const sorted = row.sortedHead as Int32Array;
    const picked: number[] = [];
    for (let k = 0; k < sorted.length && picked.length < n; k++) if (eligible(sorted[k])) picked.push(sorted[k]);
    if (picked.length < n && sorted.length < row.local.length) return false;
    for (const j of picked) out(row.toUnion ? row.toUnion[j] : j);
    return true;
  }

  /**
   * Fused scores over `items` only (position k describes union item items[k]): the same values the dense
   * fusion gives those items, since each part is normalised with its whole-catalogue min and range.
   */
  restrict(items: Int32Array): FusedScores {
    const fused = new Float32Array(items.length);
    const parts = this.rows.map((row, c) => {
      const part = new Float32Array(items.length);
      for (let k = 0; k < items.length; k++) {
        const v = this.normalisedAt(c, items[k]);
        part[k] = v;
        fused[k] += row.weight * v;
      }
      return part;
    });
    return { fused, parts, items };
  }

  /** Hands the dense buffers back to the model; the object must not be used afterwards. */
  release(): void {
    this.onRelease(this.rows);
  }
}

/**
 * The local indices of the `n` best eligible scores of row.local (unordered; -Infinity and NaN never), and the
 * row's min and range, in one pass over the scores. The heap rejects most items on their score alone, so
 * `eligible` runs for a few items only. A separate range pass would cost ~0.2 ms more per component per list at
 * 100k items, on the event path.
 */
function headWithRange(row: ComponentRow, n: number, eligible: (j: number) => boolean): Int32Array {
  const a = row.local;
  const heap = new ScoreHeap(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const s = a[i];
    if (s < min && s > -Infinity) min = s;
    if (s > max && s < Infinity) max = s;
    if (!(s > -Infinity) || s <= heap.threshold) continue;
    if (eligible(i)) heap.offer(i, s);
  }
  row.min = max >= min ? min : 0;
  row.range = max >= min ? max - min : 0;
  return heap.unorderedIndices();
}

function rangeOf({ min, max }: { min: number; max: number }): { min: number; range: number } {
  return max >= min ? { min, range: max - min } : { min: 0, range: 0 };
}

/** The min and range of a score row when no head was asked of it (scoring a few named items). */
function rowRange(row: ScoreRow): { min: number; range: number } {
  return rangeOf(row.search(0, () => true));
}

/** Min and max-min of the finite values of `a` (range 0 when fewer than two distinct values). */
export function finiteRange(a: Float32Array): { min: number; range: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v > -Infinity && v < Infinity) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return max >= min ? { min, range: max - min } : { min: 0, range: 0 };
}
