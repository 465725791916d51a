/**
 * A stored plan starts one wave from chat: its Run and Request-approval buttons, and the bot's `run --plan` of a
 * plan, refuse once a wave of that plan exists (plan again for a new wave: the landscape moved on). One rule for the
 * Slack and console adapters; the journal's one-wave-per-plan-hash check holds across replicas.
 */
import type { Journal, Wave } from '../journal/journal.js';
import { ACTIVE_WAVE_STATES } from '../journal/ids-and-states.js';

/** The wave the plan already started, if any, and whether it is still active (running, paused, draining, interrupted). */
export async function waveOfPlan(journal: Pick<Journal, 'listWaves'>, plan: { env: string; hash: string }): Promise<{ wave: Wave; active: boolean } | undefined> {
  const wave = (await journal.listWaves({ env: plan.env })).find((w) => w.planHash === plan.hash);
  return wave && { wave, active: (ACTIVE_WAVE_STATES as readonly string[]).includes(wave.state) };
}
