/**
 * src/rollout/wave-runner.ts: a runner gives its lease back when it ends, and a renewal that was still on its way
 * (a journal over the network answers late: PostgreSQL, a busy SQLite file) must not take it again afterwards.
 * Otherwise the wave keeps a lease of a runner that is gone: the next process waits a whole TTL to resume a wave
 * that SIGTERM stopped, and `status` shows it held. The journal here is a real SQLite file whose lease renewals
 * answer 150 ms late; the migration is injected.
 */
import { describe, expect, it } from '@jest/globals';
import type { Journal } from '../../../src/journal/journal.js';
import type { MigrateOptions } from '../../../src/migration/migrate-runtime.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import { runWave, WaveEvents } from '../../../src/rollout/wave-runner.js';
import { injectedResult, plannedRuntimes, sqliteJournalPerTest } from '../../helpers/runner-fixtures.js';

const LATE_MS = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('src/rollout/wave-runner.ts — the lease after the runner ends', () => {
  let journal: Journal;
  sqliteJournalPerTest('lease-release-', (j) => (journal = j));

  /** The journal, with every lease renewal (each acquireLease after the first) answered LATE_MS late. */
  function lateRenewals(): { journal: Journal; renewals: () => number } {
    let calls = 0;
    const late = new Proxy(journal, {
      get(target, prop, receiver) {
        if (prop !== 'acquireLease') return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<Journal['acquireLease']>) => {
          if (calls++ > 0) await sleep(LATE_MS);
          return target.acquireLease(...args);
        };
      },
    });
    return { journal: late, renewals: () => Math.max(0, calls - 1) };
  }

  const access = { kcpKubeconfig: '', deadlineMs: 5000, pollIntervalMs: 10, onConflict: 'hold' as const };

  it.each([
    ['finishes', false],
    ['is stopped (SIGTERM)', true],
  ])('a wave that %s has no lease afterwards, even with a renewal still on its way', async (_what, stopIt) => {
    const wave = await journal.createWave({ env: 'dev', target: 'all', planHash: 'h'.repeat(64), state: 'running', concurrency: 2, requestedBy: 'sre-1', approvedBy: null }, plannedRuntimes(4));
    const events = new WaveEvents();
    const late = lateRenewals();
    // Each runtime takes long enough for several renewals (every TTL/3 = 40 ms) to be on their way when it ends.
    const migrate = async (m: MigrateOptions): Promise<MigrationResult> => {
      await sleep(200);
      if (stopIt) events.stopAll(new Error('the process is stopping (SIGTERM)'));
      m.signal?.throwIfAborted();
      return injectedResult(m.runtimeId!);
    };
    const ended = await runWave({ journal: late.journal, access, budget: 4, holder: 'test', events, migrate, controlIntervalMs: 20, leaseTtlMs: 120 }, wave.waveId);
    expect(ended.state).toBe(stopIt ? 'interrupted' : 'finished');
    expect(late.renewals()).toBeGreaterThan(0);
    // Whatever renewal was on its way has answered by now.
    await sleep(LATE_MS * 2);
    expect(await journal.getLease(wave.waveId)).toBeFalsy();
  });
});
