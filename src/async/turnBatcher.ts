// Batches what callers hand in during one turn of the event loop (as DataLoader does) and answers each caller
// with its own entry's result once its batch is done: a group commit of single events, a group read of several
// shoppers' histories. Under load the requests one turn serves then share one round trip and one statement;
// an idle server handles a lone entry at the end of its turn.

interface Waiter<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class TurnBatcher<T, R, K = string> {
  // Open batches by key: entries with different keys are never handled together.
  private readonly open = new Map<K, { entries: T[]; waiters: Waiter<R>[] }>();
  private scheduled = false;

  constructor(
    /** Handles a batch; answers one result per entry, in order. */
    private readonly handle: (entries: T[], key: K) => Promise<R[]>,
    private readonly maxBatch: number,
  ) {}

  add(entry: T, key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let batch = this.open.get(key);
      if (!batch) this.open.set(key, (batch = { entries: [], waiters: [] }));
      batch.entries.push(entry);
      batch.waiters.push({ resolve, reject });
      if (batch.entries.length >= this.maxBatch) {
        this.open.delete(key);
        this.run(batch.entries, batch.waiters, key);
      } else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the turn's I/O callbacks, so every request read in this turn has joined.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.open];
    this.open.clear();
    for (const [key, { entries, waiters }] of batches) this.run(entries, waiters, key);
  }

  private run(entries: T[], waiters: Waiter<R>[], key: K): void {
    let handled: Promise<R[]>;
    try {
      handled = this.handle(entries, key);
    } catch (err) {
      handled = Promise.reject(err);
    }
    handled.then(
      (results) => waiters.forEach((w, i) => w.resolve(results[i])),
      (err) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
