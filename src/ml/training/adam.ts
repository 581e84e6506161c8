// Adam applied in JS to parameters held as Float32Arrays: dense for small weights, lazy (touched rows only)
// for embedding tables. Keeping parameters out of tf.Variables means a step creates only the few leaf
// tensors it needs, instead of dense [rows × dim] gradients from tf.gather plus ~12 Adam kernels per variable.

export interface AdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Step size for step `t` (1-based) with Adam's bias corrections folded in. */
function correctedRate(cfg: Required<AdamConfig>, t: number): number {
  return (cfg.learningRate * Math.sqrt(1 - Math.pow(cfg.beta2, t))) / (1 - Math.pow(cfg.beta1, t));
}

/** A [rows, width] parameter table with its Adam moments. */
export class AdamTable {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private readonly cfg: Required<AdamConfig>;

  constructor(
    readonly values: Float32Array,
    readonly width: number,
    cfg: AdamConfig,
  ) {
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
    this.cfg = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...cfg };
  }

  get rows(): number {
    return this.values.length / this.width;
  }

  /** Dense step: `grad` covers the whole table. */
  step(grad: ArrayLike<number>, t: number): void {
    this.update(0, this.values.length, grad, 0, t);
  }

  /** Lazy step: rows[i] gets grads[i*width ..]; rows must be distinct (see RowGradients). */
  stepRows(rows: Int32Array, count: number, grads: Float32Array, t: number): void {
    const w = this.width;
    for (let i = 0; i < count; i++) this.update(rows[i] * w, rows[i] * w + w, grads, i * w - rows[i] * w, t);
  }

  /** Adam on values[from..to) with gradient grad[k + shift]. */
  private update(from: number, to: number, grad: ArrayLike<number>, shift: number, t: number): void {
    const { beta1, beta2, epsilon } = this.cfg;
    const rate = correctedRate(this.cfg, t);
    const { values, m, v } = this;
    const eps = epsilon * Math.sqrt(1 - Math.pow(beta2, t)); // keeps ε on the uncorrected scale, as Adam's paper
    for (let k = from; k < to; k++) {
      const g = grad[k + shift];
      const mk = beta1 * m[k] + (1 - beta1) * g;
      const vk = beta2 * v[k] + (1 - beta2) * g * g;
      m[k] = mk;
      v[k] = vk;
      values[k] -= (rate * mk) / (Math.sqrt(vk) + eps);
    }
  }
}

/**
 * Sums gradient rows by table row: a batch gathers the same item several times (and from several leaves),
 * and lazy Adam must see each row once with its total gradient.
 */
export class RowGradients {
  private readonly slot: Int32Array;
  private rowsTouched: Int32Array;
  private sums: Float32Array;
  private count = 0;
  private dense: Float32Array | null = null;

  constructor(
    numRows: number,
    private readonly width: number,
  ) {
    this.slot = new Int32Array(numRows).fill(-1);
    this.rowsTouched = new Int32Array(1024);
    this.sums = new Float32Array(1024 * width);
  }

  /** Adds grads[i*width ..] to row ids[i]; ids outside [0, numRows) (padding) are skipped. */
  add(ids: ArrayLike<number>, grads: ArrayLike<number>): void {
    const w = this.width;
    const n = this.slot.length;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id >= n) continue;
      let s = this.slot[id];
      if (s < 0) {
        s = this.count++;
        if (s >= this.rowsTouched.length) this.grow();
        this.slot[id] = s;
        this.rowsTouched[s] = id;
        this.sums.fill(0, s * w, s * w + w);
      }
      const dst = s * w;
      const src = i * w;
      for (let k = 0; k < w; k++) this.sums[dst + k] += grads[src + k];
    }
  }

  /**
   * Applies the summed rows to `table` and resets for the next batch. Lazy: only touched rows move.
   * Dense: every row takes an Adam step (untouched rows with gradient 0, so their momentum carries on),
   * which is standard Adam and learns rarely seen rows much faster than lazy updates.
   */
  applyTo(table: AdamTable, t: number, mode: 'lazy' | 'dense' = 'lazy'): void {
    const w = this.width;
    if (mode === 'lazy') {
      table.stepRows(this.rowsTouched, this.count, this.sums, t);
    } else {
      if (this.dense === null || this.dense.length !== table.values.length) this.dense = new Float32Array(table.values.length);
      const dense = this.dense;
      for (let i = 0; i < this.count; i++) dense.set(this.sums.subarray(i * w, i * w + w), this.rowsTouched[i] * w);
      table.step(dense, t);
      for (let i = 0; i < this.count; i++) dense.fill(0, this.rowsTouched[i] * w, this.rowsTouched[i] * w + w);
    }
    for (let i = 0; i < this.count; i++) this.slot[this.rowsTouched[i]] = -1;
    this.count = 0;
  }

  private grow(): void {
    const rows = new Int32Array(this.rowsTouched.length * 2);
    rows.set(this.rowsTouched);
    const sums = new Float32Array(rows.length * this.width);
    sums.set(this.sums);
    this.rowsTouched = rows;
    this.sums = sums;
  }
}
