// Group commit: what callers hand in during one turn of the event loop is written together, as one batch, and
// each caller is answered with its own entry's result once that batch is done. Under load the requests a turn
// serves (a search's SEARCH event, a trackEvent) then cost one fraud check, one INSERT and commit and one
// notification between them instead of one each; an idle server writes a lone entry at the end of its turn.

interface Waiter<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class GroupCommit<T, R, K = string> {
  // Open batches by key: entries with different keys are never written together.
  private readonly open = new Map<K, { entries: T[]; waiters: Waiter<R>[] }>();
  private scheduled = false;

  constructor(
    /** Writes a batch; answers one result per entry, in order. */
    private readonly write: (entries: T[], key: K) => Promise<R[]>,
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
    let written: Promise<R[]>;
    try {
      written = this.write(entries, key);
    } catch (err) {
      written = Promise.reject(err);
    }
    written.then(
      (results) => waiters.forEach((w, i) => w.resolve(results[i])),
      (err) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
