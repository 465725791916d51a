/**
 * src/rollout/limit.ts `learnedLmStart`: the LM limiter of a new wave starts where the environment's last ended wave
 * left LM (its limit history), not at 8 every time. A real (SQLite, in memory) journal.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import type { LimitPoint } from '../../../src/journal/journal.js';
import { learnedLmStart } from '../../../src/rollout/limit.js';

const runtimes = [{ runtimeId: 'rt-1', shootName: 's1', globalAccountId: 'ga', subaccountId: 'sa', plan: 'azure', region: 'westeurope' }];
let journal: SqliteJournal;

async function wave(env: string, state: 'finished' | 'running' | 'aborted', history: [number, string][], requested = 100): Promise<string> {
  const w = await journal.createWave({ env, target: 'all', planHash: '0'.repeat(64), state, concurrency: requested, requestedBy: 'sre-1', approvedBy: null }, runtimes);
  const points: LimitPoint[] = history.map(([limit, cause], i) => ({ t: i, limit, requested, cause }));
  await journal.setWaveLimitHistory(w.waveId, points);
  return w.waveId;
}

const lm = (n: number) => [n, `held at ${n}: following LM's pace`] as [number, string];
const backingOff = (n: number) => [n, `held at ${n}: backing off: LM latency ×1.3`] as [number, string];

describe('src/rollout/limit.ts learnedLmStart', () => {
  afterEach(async () => journal.close());

  it("is the median of LM's limit over the last ended wave's second half; budget and window holds say nothing of LM", async () => {
    journal = SqliteJournal.open(':memory:');
    await journal.migrate();
    expect(await learnedLmStart(journal, 'stage')).toBeUndefined(); // no wave yet: the limiter starts at 8

    // First half: the slow start (ignored). Second half: 24, 30, held by the budget (ignored), 28, backing off to 20.
    await wave('stage', 'finished', [lm(8), lm(10), lm(13), lm(16), lm(24), lm(30), [3, 'held at 3 by the budget guard: 2 failures left, no history yet'], lm(28), backingOff(20)]);
    expect(await learnedLmStart(journal, 'stage')).toBe(24);
    // Another environment learns nothing from it; a running wave is not evidence yet.
    expect(await learnedLmStart(journal, 'prod')).toBeUndefined();
    await wave('stage', 'running', [lm(2), lm(2)]);
    expect(await learnedLmStart(journal, 'stage')).toBe(24);
  });

  it('counts a wave at its requested concurrency as LM allowing that much, and skips a wave without LM evidence', async () => {
    journal = SqliteJournal.open(':memory:');
    await journal.migrate();
    const first = await wave('prod', 'finished', [lm(8), lm(10), [100, 'at the requested concurrency'], [100, 'at the requested concurrency']]);
    expect(await learnedLmStart(journal, 'prod')).toBe(100);
    // A later wave held only by its budget says nothing of LM: the one before still counts. Itself excluded.
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later updatedAt
    const later = await wave('prod', 'aborted', [[1, 'held at 1 by the budget guard: 1 failure left, no history yet']]);
    expect(await learnedLmStart(journal, 'prod')).toBe(100);
    expect(await learnedLmStart(journal, 'prod', first)).toBeUndefined();
    expect(later).not.toBe(first);
  });
});
