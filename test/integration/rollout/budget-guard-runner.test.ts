/**
 * Issue 16 §1 and §3: the wave runner starts runtimes as the budget guard (C4) allows — checked at every start
 * against the guard's rule computed here from exact binomial sums — says why in its `limit` events and in `status`,
 * and with no history a budget of 1 runs one at a time. The runner's own logic: the migration is injected (each
 * runtime finishes when the test lets it), the journal is a real SQLite file.
 */
import { describe, expect, it } from '@jest/globals';
import type { Journal } from '../../../src/journal/journal.js';
import type { MigrateOptions } from '../../../src/migration/migrate-runtime.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import { expectedConcurrency, priorOf } from '../../../src/rollout/budget-guard.js';
import { runWave, WaveEvents, type WaveEvent } from '../../../src/rollout/wave-runner.js';
import { waveStatus } from '../../../src/rollout/wave-status.js';
import { cpUpper, tailGt } from '../../helpers/binomial.js';
import { injectedResult as result, plannedRuntimes as runtimes, sqliteJournalPerTest } from '../../helpers/runner-fixtures.js';

/** C4: may an n-th runtime be in flight after s clean and f failed ones? */
function mayRun(n: number, s: number, f: number, budget: number, alpha: number): boolean {
  const left = budget - f;
  if (left <= 0) return false;
  if (n <= left) return true;
  const p = cpUpper(s, f, alpha);
  return alpha > 0 && p < 1 && tailGt(n, left, p) <= alpha;
}

describe('src/rollout/wave-runner.ts with the budget guard', () => {
  let journal: Journal;
  sqliteJournalPerTest('guard-runner-', (j) => (journal = j));

  /** Runs a wave whose runtimes finish in start order, one at a time, each after the next start decision. */
  async function run(o: { n: number; concurrency: number; budget: number; alpha: number; fail?: Set<number> }) {
    const wave = await journal.createWave({ env: 'stage', target: 'kyma-test', planHash: 'h'.repeat(64), state: 'running', concurrency: o.concurrency, requestedBy: 'sre-1', approvedBy: null }, runtimes(o.n));
    const events = new WaveEvents();
    const seen: WaveEvent[] = [];
    events.on('event', (e) => seen.push(e));
    let inFlight = 0;
    let s = 0;
    let f = 0;
    let maxInFlight = 0;
    const violations: string[] = [];
    const waiting: (() => void)[] = [];
    // Releases the oldest runtime in flight every few ms: the runner sees each finish before the next start.
    const timer = setInterval(() => waiting.shift()?.(), 3);
    const migrate = async (m: MigrateOptions): Promise<MigrationResult> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (!mayRun(inFlight, s, f, o.budget, o.alpha)) violations.push(`${m.runtimeId}: ${inFlight} in flight after s=${s} f=${f}`);
      await new Promise<void>((resolve) => waiting.push(resolve));
      const failed = o.fail?.has(Number(m.runtimeId!.slice(3))) ?? false;
      inFlight--;
      if (failed) f++;
      else s++;
      return result(m.runtimeId!, failed);
    };
    try {
      const ended = await runWave(
        { journal, access: { kcpKubeconfig: '', deadlineMs: 1000, pollIntervalMs: 10, onConflict: 'hold' }, budget: o.budget, alpha: o.alpha, holder: 'test', events, migrate, controlIntervalMs: 20 },
        wave.waveId,
      );
      return { ended, seen, maxInFlight, violations };
    } finally {
      clearInterval(timer);
    }
  }

  it('starts as the guard allows at every start, ramping up to the requested concurrency on a clean wave', async () => {
    const r = await run({ n: 60, concurrency: 16, budget: 3, alpha: 0.01 });
    expect(r.violations).toEqual([]);
    expect(r.ended.state).toBe('finished');
    // After 30 clean runtimes the table allows 6; the ramp goes past the strict rule's 3.
    expect(r.maxInFlight).toBeGreaterThanOrEqual(6);
    const causes = r.seen.flatMap((e) => (e.type === 'limit' ? [e.limit.cause] : []));
    expect(causes[0]).toBe('held at 3 by the budget guard: 3 failures left, no history yet');
    expect(causes.some((c) => /^held at \d+ by the budget guard: 3 failures left, failure rate ≤ \d+(\.\d)? % at 99 %$/.test(c))).toBe(true);
  });

  it('α = 0 keeps the strict rule: never more in flight than failures left', async () => {
    const r = await run({ n: 30, concurrency: 16, budget: 3, alpha: 0 });
    expect(r.violations).toEqual([]);
    expect(r.maxInFlight).toBe(3);
  });

  it('a budget of 1 with no history runs one at a time and stops at the first failure', async () => {
    const r = await run({ n: 10, concurrency: 8, budget: 1, alpha: 0.01, fail: new Set([4]) });
    expect(r.violations).toEqual([]);
    expect(r.maxInFlight).toBe(1);
    expect(r.ended.state).toBe('budget-stopped');
    expect((await waveStatus(journal, r.ended)).counts.pending).toBe(5);
  });

  it('counts failures against what is left: after failures the guard narrows again', async () => {
    const r = await run({ n: 80, concurrency: 16, budget: 4, alpha: 0.01, fail: new Set([40, 41]) });
    expect(r.violations).toEqual([]);
    const causes = r.seen.flatMap((e) => (e.type === 'limit' ? [e.limit.cause] : []));
    expect(causes.some((c) => c.includes('2 failures left'))).toBe(true);
  });

  it('earlier finished waves of the environment and of the one before it count with weight 0.5: Stage after a clean Dev wave starts wider', async () => {
    const finishWave = async (env: string, n: number, failAt: Set<number>) => {
      const w = await journal.createWave({ env, target: 'all', planHash: 'p'.repeat(64), state: 'running', concurrency: 8, requestedBy: 'sre-1', approvedBy: null }, runtimes(n).map((r) => ({ ...r, runtimeId: `${env}-${r.runtimeId}` })));
      for (let i = 0; i < n; i++) {
        await journal.startRuntime(w.waveId, `${env}-rt-${String(i).padStart(3, '0')}`);
        await journal.finishRuntime(w.waveId, `${env}-rt-${String(i).padStart(3, '0')}`, result(`${env}-rt-${String(i).padStart(3, '0')}`, failAt.has(i)));
      }
      await journal.setWaveState(w.waveId, 'finished');
      return w;
    };
    await finishWave('dev', 40, new Set([3])); // 39 ok, 1 platform failure
    await finishWave('prod', 10, new Set()); // another environment after Stage: not counted for Stage
    const stage = await priorOf(journal, 'stage', 0.5);
    expect(stage).toEqual({ s: 19.5, f: 0.5, waves: 1 });
    expect(await priorOf(journal, 'stage', 0)).toEqual({ s: 0, f: 0, waves: 0 });
    // Without history a budget of 3 starts 3; with the Dev wave's the guard allows more at once.
    expect(expectedConcurrency({ runtimes: 60, budget: 3, alpha: 0.01, requested: 16, prior: { s: 0, f: 0, waves: 0 } }).atStart).toBe(3);
    expect(expectedConcurrency({ runtimes: 60, budget: 3, alpha: 0.01, requested: 16, prior: stage }).atStart).toBeGreaterThan(3);
  });

  it('status shows in flight, the limit and its cause while the wave runs (from the journal, any process)', async () => {
    const wave = await journal.createWave({ env: 'stage', target: 'kyma-test', planHash: 'h'.repeat(64), state: 'running', concurrency: 8, requestedBy: 'sre-1', approvedBy: null }, runtimes(4));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const allStarted = new Promise<void>((resolve) => {
      const migrate = async (m: MigrateOptions) => {
        if (++started === 2) resolve();
        await gate;
        return result(m.runtimeId!, false);
      };
      void runWave({ journal, access: { kcpKubeconfig: '', deadlineMs: 1000, pollIntervalMs: 10, onConflict: 'hold' }, budget: 2, alpha: 0.01, holder: 'test', migrate, controlIntervalMs: 20 }, wave.waveId).then(() => undefined);
    });
    await allStarted;
    // The runner writes the limit right after its start decisions; wait for it (generous deadline, no timing assertion).
    let st = await waveStatus(journal, (await journal.getWave(wave.waveId))!);
    for (let i = 0; i < 500 && !(st.limit && st.limit.inFlight === 2); i++) {
      await new Promise((r) => setTimeout(r, 10));
      st = await waveStatus(journal, (await journal.getWave(wave.waveId))!);
    }
    expect(st.limit).toEqual({ inFlight: 2, limit: 2, requested: 8, cause: 'held at 2 by the budget guard: 2 failures left, no history yet' });
    release();
    for (let i = 0; i < 500 && st.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      st = await waveStatus(journal, (await journal.getWave(wave.waveId))!);
    }
    expect(st.state).toBe('finished');
    expect(st.limit).toBeUndefined();
  });
});
