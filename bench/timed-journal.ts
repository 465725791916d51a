/** A journal wrapped for bench/wave.bench.ts: how long its calls take, the per-runtime writes apart. */
import { performance } from 'node:perf_hooks';
import type { Journal } from '../src/journal/journal.js';

/** Time spent in the journal: the three per-runtime writes (summed and as busy time), and every other call. */
export interface JournalTiming {
  /** Until each write's promise settled (includes waiting for the event loop, the pool, the server). */
  writesSumMs: number;
  /** Until each write returned its promise: for SQLite (synchronous inside) all of its work. */
  writesSyncMs: number;
  writesBusyMs: number;
  writeCalls: number;
  otherSumMs: number;
  otherCalls: number;
}

const WRITES = new Set(['startRuntime', 'checkpoint', 'finishRuntime']);

/** Wraps a journal so every async method's time (call to settled promise) is measured. */
export function timedJournal(inner: Journal): { journal: Journal; timing: JournalTiming } {
  const timing: JournalTiming = { writesSumMs: 0, writesSyncMs: 0, writesBusyMs: 0, writeCalls: 0, otherSumMs: 0, otherCalls: 0 };
  let writesInFlight = 0;
  let busySince = 0;
  const journal = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const name = String(prop);
      const isWrite = WRITES.has(name);
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        if (isWrite && writesInFlight++ === 0) busySince = t0;
        try {
          const fn = value as (...a: unknown[]) => Promise<unknown>;
          const pending = fn.apply(target, args);
          if (isWrite) timing.writesSyncMs += performance.now() - t0;
          return await pending;
        } finally {
          const t1 = performance.now();
          if (isWrite) {
            timing.writesSumMs += t1 - t0;
            timing.writeCalls++;
            if (--writesInFlight === 0) timing.writesBusyMs += t1 - busySince;
          } else {
            timing.otherSumMs += t1 - t0;
            timing.otherCalls++;
          }
        }
      };
    },
  });
  return { journal, timing };
}
