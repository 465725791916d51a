/**
 * A stored plan starts one wave from chat: its Run and Request-approval buttons, and the bot's `run --plan` of a
 * plan, refuse once a wave of that plan exists — a second click is not a second wave. Running the plan again as a
 * new wave is a deliberate `run --plan HASH` (in Prod with an approval of its own: one given before the plan's
 * latest wave is spent, rollout/approvals.ts), and an approved request's run. One rule for the Slack and console
 * adapters.
 */
import type { Journal, Wave } from '../journal/journal.js';
import { ACTIVE_WAVE_STATES } from '../journal/ids-and-states.js';

/** The wave the plan already started, if any, and whether it is still active (running, paused, draining, interrupted). */
export async function waveOfPlan(journal: Pick<Journal, 'listWaves'>, plan: { env: string; hash: string }): Promise<{ wave: Wave; active: boolean } | undefined> {
  const wave = (await journal.listWaves({ env: plan.env })).find((w) => w.planHash === plan.hash);
  return wave && { wave, active: (ACTIVE_WAVE_STATES as readonly string[]).includes(wave.state) };
}
