/**
 * The group commit of the networked journal (src/journal/write-batch.ts) with a recording flush: what goes into
 * one batch, per-key order, the lone write, per-write errors, and idle().
 */
import { describe, expect, it } from '@jest/globals';
import { WriteBatcher, type BatchedWrite } from '../../../src/journal/write-batch.js';

interface W extends BatchedWrite {
  n: number;
}

class NotFound extends Error {}

function recorder(opts: { unknown?: Set<string>; failWhen?: (batch: readonly W[]) => boolean; maxInFlight?: number } = {}) {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  let hold = false;
  const batcher = new WriteBatcher<W>({
    async flush(batch) {
      batches.push(batch.map((w) => w.n));
      if (hold) await new Promise<void>((r) => gates.push(r));
      if (opts.failWhen?.(batch)) throw new Error(`statement failed for ${batch.map((w) => w.n).join(',')}`);
      return new Set(batch.filter((w) => !opts.unknown?.has(w.key)).map((w) => w.key));
    },
    notFound: (w) => new NotFound(`no ${w.key}`),
    maxInFlight: opts.maxInFlight ?? 1,
    maxBatch: 3,
  });
  return {
    batcher,
    batches,
    hold: () => (hold = true),
    release: () => {
      hold = false;
      for (const g of gates.splice(0)) g();
    },
  };
}

const write = (key: string, n: number): W => ({ key, n });

describe('WriteBatcher', () => {
  it('sends a lone write by itself and groups what arrives while a batch is in flight, at most maxBatch per batch', async () => {
    const r = recorder();
    r.hold();
    const first = r.batcher.submit(write('a', 1));
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toEqual([[1]]);
    const more = [2, 3, 4, 5].map((n) => r.batcher.submit(write(`k${n}`, n)));
    r.release();
    await Promise.all([first, ...more]);
    expect(r.batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('never puts two writes with the same key into one batch, and keeps their order', async () => {
    const r = recorder();
    await Promise.all([r.batcher.submit(write('a', 1)), r.batcher.submit(write('a', 2)), r.batcher.submit(write('b', 3))]);
    expect(r.batches).toEqual([[1, 3], [2]]);
  });

  it('never runs a later write of a key while a batch holding an earlier one is in flight (two batches at once)', async () => {
    const r = recorder({ maxInFlight: 2 });
    r.hold();
    const a1 = r.batcher.submit(write('a', 1));
    await new Promise((res) => setImmediate(res));
    const later = [r.batcher.submit(write('a', 2)), r.batcher.submit(write('b', 3))];
    await new Promise((res) => setImmediate(res));
    // The second slot is used, but only for b: a's second write waits for the batch holding its first.
    expect(r.batches).toEqual([[1], [3]]);
    r.release();
    await Promise.all([a1, ...later]);
    expect(r.batches).toEqual([[1], [3], [2]]);
  });

  it('rejects only the writes whose key the statement did not change', async () => {
    const r = recorder({ unknown: new Set(['ghost']) });
    const results = await Promise.allSettled([r.batcher.submit(write('a', 1)), r.batcher.submit(write('ghost', 2)), r.batcher.submit(write('b', 3))]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFound);
  });

  it('retries the writes of a failed batch one by one, so each caller gets its own error', async () => {
    const r = recorder({ failWhen: (batch) => batch.some((w) => w.n === 2) });
    const results = await Promise.allSettled([1, 2, 3].map((n) => r.batcher.submit(write(`k${n}`, n))));
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain('statement failed for 2');
    expect(r.batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('idle() waits for pending and in-flight writes', async () => {
    const r = recorder();
    r.hold();
    let done = false;
    void r.batcher.submit(write('a', 1)).then(() => (done = true));
    const idle = r.batcher.idle();
    await new Promise((res) => setImmediate(res));
    expect(done).toBe(false);
    r.release();
    await idle;
    expect(done).toBe(true);
    await r.batcher.idle();
  });
});
