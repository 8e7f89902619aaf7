/**
 * Appends grouped by event-loop turn: everything queued in one turn is handed to `commit` in one
 * call (one transaction), and each caller's promise settles with that commit.
 */
export class TurnBatch<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (e: Error) => void }> = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly commit: (items: T[]) => void | Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    const settle = (error?: Error) => {
      for (const b of batch) error ? b.reject(error) : b.resolve();
    };
    let result: Promise<void> | undefined;
    try {
      result = this.commit(batch.map((b) => b.item)) ?? undefined;
    } catch (e) {
      settle(e as Error);
      return;
    }
    if (!result) {
      settle();
      return;
    }
    const done = result.then(
      () => settle(),
      (e: Error) => settle(e),
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Waits until everything queued so far has been committed (or has failed). */
  async drain(): Promise<void> {
    while (this.queue.length || this.scheduled || this.inFlight.size) {
      await Promise.allSettled([...this.inFlight]);
      await new Promise((r) => setImmediate(r));
    }
  }
}
