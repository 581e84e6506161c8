// The k best (item, score) pairs offered one at a time, in a binary min-heap with no allocation per offer: the one
// heap behind top-K over a dense score array (topK.ts), a component's head (componentScores) and the ANN index.
import type { TopK } from './topK';

export class ScoreHeap {
  private readonly idx: Int32Array;
  private readonly val: Float32Array;
  private size = 0;
  /** The root's score once full (-Infinity before): read once per scanned item, so kept as a plain field. */
  private floor = -Infinity;

  constructor(readonly capacity: number) {
    this.idx = new Int32Array(capacity);
    this.val = new Float32Array(capacity);
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

  /** Keeps (i, s) if it is among the best so far; callers check `threshold` first to spare work. */
  offer(i: number, s: number): void {
    if (this.capacity === 0) return;
    const { idx, val } = this;
    let pos: number;
    if (this.size < this.capacity) {
      pos = this.size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (val[parent] <= s) break;
        val[pos] = val[parent];
        idx[pos] = idx[parent];
        pos = parent;
      }
    } else {
      if (s <= val[0]) return;
      pos = 0;
      for (;;) {
        const l = 2 * pos + 1;
        if (l >= this.size) break;
        const r = l + 1;
        const c = r < this.size && val[r] < val[l] ? r : l;
        if (val[c] >= s) break;
        val[pos] = val[c];
        idx[pos] = idx[c];
        pos = c;
      }
    }
    val[pos] = s;
    idx[pos] = i;
    if (this.size === this.capacity) this.floor = val[0];
  }

  /** The kept indices in heap order (not ranked): for callers that rank them by other scores anyway. */
  unorderedIndices(): Int32Array {
    return this.idx.subarray(0, this.size);
  }

  /** Best first; ties by ascending index, so results are deterministic. */
  result(): TopK {
    const order = Array.from({ length: this.size }, (_, j) => j).sort((a, b) => this.val[b] - this.val[a] || this.idx[a] - this.idx[b]);
    return { indices: Int32Array.from(order, (j) => this.idx[j]), scores: Float32Array.from(order, (j) => this.val[j]) };
  }
}
