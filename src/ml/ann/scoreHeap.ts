// The k best (item, score) pairs offered one at a time, in a binary min-heap: the approximate index scans a few
// lists rather than one dense score array (src/ml/topK), so items arrive in pieces.
import type { TopK } from '../topK';

export class ScoreHeap {
  private readonly idx: Int32Array;
  private readonly val: Float32Array;
  private size = 0;

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
    return this.size < this.capacity ? -Infinity : this.val[0];
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
  }

  /** Best first; ties by ascending index, as src/ml/topK orders them. */
  result(): TopK {
    const order = Array.from({ length: this.size }, (_, j) => j).sort((a, b) => this.val[b] - this.val[a] || this.idx[a] - this.idx[b]);
    return { indices: Int32Array.from(order, (j) => this.idx[j]), scores: Float32Array.from(order, (j) => this.val[j]) };
  }
}
