// Small pieces shared by the TensorFlow.js training loops: early stopping on a validation metric,
// and yielding so a long synchronous fit does not starve the process's event loop.

/** Keeps the best (epoch, metric, state) seen and says when patience ran out. */
export class ValidationTracker<S = unknown> {
  private bestMetric = -Infinity;
  private bestEpoch = 0;
  private bestState: S | undefined;
  private sinceBest = 0;

  constructor(private readonly patience: number) {}

  /**
   * Records one epoch's metric; `capture` is only called on an improvement, so state is copied
   * only when worth keeping. Returns true when training should stop.
   */
  record(epoch: number, metric: number, capture: () => S): boolean {
    if (metric > this.bestMetric) {
      this.bestMetric = metric;
      this.bestEpoch = epoch;
      this.bestState = capture();
      this.sinceBest = 0;
      return false;
    }
    this.sinceBest++;
    return this.sinceBest >= this.patience;
  }

  best(): { epoch: number; metric: number; state: S } | null {
    return this.bestState === undefined ? null : { epoch: this.bestEpoch, metric: this.bestMetric, state: this.bestState };
  }
}

/**
 * Lets timers and I/O run between training batches: wasm kernels are synchronous, and a worker that
 * never yields misses queue-lock renewals and health checks.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One line of a model's training log. */
export interface EpochLog {
  epoch: number;
  loss: number;
  validationNdcg?: number;
  seconds?: number;
}
