/**
 * rollout/wave-budget.ts on a real (in-memory SQLite) journal: a wave's budget is the environment's for its size
 * until `resume --budget N` records a raise for that wave, which then wins (for every runner and every view).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Journal } from '../../../src/journal/journal.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import { waveBudget } from '../../../src/rollout/wave-budget.js';

describe('waveBudget', () => {
  let journal: Journal;
  beforeAll(async () => {
    journal = await openJournal({ kind: 'sqlite', file: ':memory:' });
  });
  afterAll(() => journal.close());

  it("is the environment's for the wave's size, until a raise is recorded for that wave", async () => {
    const policy = { budget: (env: string, eligible: number) => (env === 'prod' ? 1 : Math.ceil(eligible / 10)) };
    const wave = { waveId: 'prod-20261125-1', env: 'prod' };
    expect(await waveBudget(journal, policy, wave, 40)).toBe(1);
    expect(await waveBudget(journal, policy, { waveId: 'stage-20261125-1', env: 'stage' }, 40)).toBe(4);
    await journal.setRaisedBudget(wave.waveId, 5);
    expect(await waveBudget(journal, policy, wave, 40)).toBe(5);
    expect(await waveBudget(journal, policy, { waveId: 'prod-20261125-2', env: 'prod' }, 40)).toBe(1); // another wave's raise does not count
    await journal.setRaisedBudget(wave.waveId, 0); // not a budget: the environment's applies
    expect(await waveBudget(journal, policy, wave, 40)).toBe(1);
  });
});
