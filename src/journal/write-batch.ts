/**
 * Group commit for the per-runtime writes of a wave (start, checkpoint, finish) on a networked journal.
 *
 * A wave at concurrency C sends up to 4·C writes in bursts: runtimes start together and, when their clusters
 * behave alike, checkpoint and finish together. One statement and one commit per write would queue those behind
 * the connection pool; here every write submitted while earlier batches are in flight goes into the next batch,
 * one statement and one commit for all of them. Each caller's promise settles only after the commit that holds
 * its write, so durability is what it was with one statement per write.
 *
 * - At most `maxInFlight` batches run at once, each of at most `maxBatch` writes. A lone write (nothing else in
 *   flight) is sent on the next turn of the event loop: no added wait when the journal is quiet.
 * - Writes to the same key are never in one batch, nor in two batches in flight at once: a later one waits until
 *   the batch holding the earlier one has ended, so order per key is kept (a runtime awaits each of its writes
 *   anyway).
 * - The flush reports which keys it changed; a write whose key it did not change fails with `notFound(write)`.
 * - When a batch of several writes fails, each write is retried alone, so one bad write cannot fail the others
 *   and every caller gets its own error.
 */
export interface BatchedWrite {
  /** Writes with the same key are applied in submission order, never in the same batch. */
  readonly key: string;
}

export interface WriteBatcherOptions<W extends BatchedWrite> {
  /** Applies the writes in one statement and commit; resolves with the keys it changed. */
  flush(batch: readonly W[]): Promise<ReadonlySet<string>>;
  /** The error for a write whose key the flush did not change (it may look up why). */
  notFound(write: W): Error | Promise<Error>;
  maxInFlight?: number;
  maxBatch?: number;
  /** A failure that is not about one write (the store is unreachable): every write of the batch gets it, unretried. */
  failsAll?(e: unknown): boolean;
}

interface Entry<W> {
  write: W;
  resolve(): void;
  reject(e: unknown): void;
}

export class WriteBatcher<W extends BatchedWrite> {
  private pending: Entry<W>[] = [];
  private inFlight = 0;
  /** Keys of the writes in batches now in flight: a later write to one of them waits for that batch. */
  private readonly inFlightKeys = new Set<string>();
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  /** Statements sent, for tests and diagnostics. */
  batches = 0;

  constructor(private readonly opts: WriteBatcherOptions<W>) {
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.maxBatch = opts.maxBatch ?? 500;
  }

  submit(write: W): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is pending or in flight. */
  idle(): Promise<void> {
    if (!this.pending.length && !this.inFlight) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || !this.pending.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length) {
      const batch: Entry<W>[] = [];
      const keys = new Set<string>();
      const rest: Entry<W>[] = [];
      for (const e of this.pending) {
        // A key already taken (in this batch, or in one in flight) blocks its later writes, in order.
        if (batch.length < this.maxBatch && !keys.has(e.write.key) && !this.inFlightKeys.has(e.write.key)) batch.push(e);
        else rest.push(e);
        keys.add(e.write.key);
      }
      if (!batch.length) return; // everything pending waits for a batch in flight; its end schedules the rest
      this.pending = rest;
      for (const e of batch) this.inFlightKeys.add(e.write.key);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const e of batch) this.inFlightKeys.delete(e.write.key);
        this.inFlight--;
        if (this.pending.length) this.schedule();
        else if (!this.inFlight) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async run(batch: Entry<W>[]): Promise<void> {
    this.batches++;
    let changed: ReadonlySet<string>;
    try {
      changed = await this.opts.flush(batch.map((e) => e.write));
    } catch (e) {
      if (batch.length === 1 || this.opts.failsAll?.(e)) {
        for (const one of batch) one.reject(e);
        return;
      }
      // One statement for all failed: find out which write it was (or that it was all of them) one by one.
      await Promise.all(batch.map((one) => this.run([one])));
      return;
    }
    for (const e of batch) {
      if (changed.has(e.write.key)) e.resolve();
      else e.reject(await Promise.resolve(this.opts.notFound(e.write)).catch((err: unknown) => err));
    }
  }
}
