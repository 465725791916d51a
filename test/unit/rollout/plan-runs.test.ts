/** src/rollout/plan-runs.ts and its text (src/chat/replies.ts): a plan's buttons refuse once the plan started a wave. */
import { describe, expect, it } from '@jest/globals';
import { planRanText } from '../../../src/chat/replies.js';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import { waveOfPlan } from '../../../src/rollout/plan-runs.js';

const runtimes = [{ runtimeId: 'rt-1', shootName: 's1', globalAccountId: 'ga', subaccountId: 'sa', plan: 'azure', region: 'westeurope' }];

describe('src/rollout/plan-runs.ts waveOfPlan', () => {
  it('finds the wave a plan started, active while it can still run (interrupted included), and says so', async () => {
    const journal = SqliteJournal.open(':memory:');
    try {
      await journal.migrate();
      const plan = { env: 'stage', hash: 'a'.repeat(64) };
      expect(await waveOfPlan(journal, plan)).toBeUndefined();
      const w = await journal.createWave({ env: 'stage', target: 'kyma-test', planHash: plan.hash, state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: null }, runtimes);
      // Another environment's or another plan's waves are not this plan's.
      expect(await waveOfPlan(journal, { env: 'prod', hash: plan.hash })).toBeUndefined();
      expect(await waveOfPlan(journal, { env: 'stage', hash: 'b'.repeat(64) })).toBeUndefined();

      for (const [state, active] of [['interrupted', true], ['paused', true], ['finished', false], ['aborted', false]] as const) {
        await journal.setWaveState(w.waveId, state);
        const ran = await waveOfPlan(journal, plan);
        expect({ state, waveId: ran?.wave.waveId, active: ran?.active }).toEqual({ state, waveId: w.waveId, active });
        expect(planRanText(plan.hash, ran!)).toBe(active ? `plan \`aaaaaaaaaaaa\` already started \`${w.waveId}\`, still ${state}` : `plan \`aaaaaaaaaaaa\` already ran as \`${w.waveId}\` (${state}): carry that wave on (\`/istio-migrate retry-failed ${w.waveId}\`, \`/istio-migrate resume ${w.waveId}\`), or run the plan again as a new wave with \`/istio-migrate run --plan aaaaaaaaaaaa --yes\``);
      }
    } finally {
      await journal.close();
    }
  });
});
