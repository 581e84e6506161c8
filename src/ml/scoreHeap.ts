// The k best (item, score) pairs offered one at a time, in a binary min-heap with no allocation per offer: the one
// heap behind top-K over a dense score array (topK.ts), a component's head (componentScores) and the ANN index.
import type { TopK } from './topK';

export class ScoreHeap {
  private readonly idx: Int32Array;
  private readonly val: Float32Array;
  private size = 0;
  /**
   * The root's score once full (-Infinity before): read once per scanned item, so kept as a plain field. A heap of
   * capacity 0 is full from the start and admits nothing: +Infinity, so that scans stop at once.
   */
  private floor: number;

  constructor(readonly capacity: number) {
    this.idx = new Int32Array(capacity);
    this.val = new Float32Array(capacity);
    this.floor = capacity === 0 ? Infinity : -Infinity;
  }

  get length(): number {
    return this.size;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** The score an offer must beat once the heap is full. */
  get threshold(): number {
    return this.floor;
  }

  /**
   * Keeps (i, s) if it is among the best so far. Order is total: a higher score is better, and of equal scores
   * the lower index, so what is kept does not depend on the order of offers. Callers check `threshold` first to
   * spare work (an offer equal to it may still enter, with a lower index).
   */
  offer(i: number, s: number): void {
    if (this.capacity === 0) return;
    const { idx, val } = this;
    let pos: number;
    if (this.size < this.capacity) {
      pos = this.size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (val[parent] < s || (val[parent] === s && idx[parent] > i)) break;
        val[pos] = val[parent];
        idx[pos] = idx[parent];
        pos = parent;
      }
    } else {
      if (s < val[0] || (s === val[0] && i >= idx[0])) return;
      pos = this.siftDownFrom(0, i, s, this.size);
    }
    val[pos] = s;
    idx[pos] = i;
    if (this.size === this.capacity) this.floor = val[0];
  }

  /** Moves the hole at `pos` down past entries worse than (i, s) within the first `size`; returns where it ends. */
  private siftDownFrom(pos: number, i: number, s: number, size: number): number {
    const { idx, val } = this;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= size) return pos;
      const r = l + 1;
      const c = r < size && (val[r] < val[l] || (val[r] === val[l] && idx[r] > idx[l])) ? r : l;
      if (s < val[c] || (s === val[c] && i > idx[c])) return pos;
      val[pos] = val[c];
      idx[pos] = idx[c];
      pos = c;
    }
  }

  /** The kept indices in heap order (not ranked): for callers that rank them by other scores anyway. */
  unorderedIndices(): Int32Array {
    return this.idx.subarray(0, this.size);
  }

  /**
   * Best first; ties by ascending index. Heapsort in place (the worst left goes to the back each step), so no
   * comparator closure or temporary array: this runs for every head and list served. Empties the heap.
   */
  result(): TopK {
    const { idx, val } = this;
    for (let n = this.size - 1; n > 0; n--) {
      const i = idx[n];
      const s = val[n];
      idx[n] = idx[0];
      val[n] = val[0];
      const pos = this.siftDownFrom(0, i, s, n);
      idx[pos] = i;
      val[pos] = s;
    }
    const out = { indices: idx.slice(0, this.size), scores: val.slice(0, this.size) };
    this.size = 0;
    this.floor = -Infinity;
    return out;
  }
}
