/**
 * A wave's error budget (C4): the one `resume WAVE --budget N` recorded for it (approved by on-call in Prod), else
 * the environment's for the wave's size. One rule for whoever runs a wave (run, resume, retry-failed, the bot that
 * resumes interrupted waves) and for what chat shows of it.
 */
import type { EnvName } from '../config/config.js';
import type { Journal } from '../journal/journal.js';

/** The environment's budget for a wave of `eligible` runtimes (the configured count or share, C4). */
export interface BudgetPolicy {
  budget(env: EnvName, eligible: number): number;
}

/** A wave's error budget: the one `resume --budget` recorded, else the environment's for its size. */
export async function waveBudget(journal: Pick<Journal, 'raisedBudget'>, policy: BudgetPolicy, wave: { waveId: string; env: string }, eligible: number): Promise<number> {
  const raised = await journal.raisedBudget(wave.waveId);
  return raised !== undefined && Number.isInteger(raised) && raised > 0 ? raised : policy.budget(wave.env as EnvName, eligible);
}
