/**
 * A wave run again re-checks eligibility (src/rollout/eligibility-recheck.ts): `resume` of a wave planned while its
 * runtimes were eligible, after KEB began deprovisioning one and suspended another, finishes those two as skipped with
 * KEB's state and never touches their clusters; the third migrates. Through the commands against the simulator, whose
 * KEB answers with the runtime's state as it is now.
 */
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import type { PlanDocument } from '../../../src/rollout/plan-wave.js';
import { simServices } from '../../helpers/sim-services.js';
import { outsideRunbook, runtimeOf } from '../../helpers/sim.js';

describe('commands/control: resume re-checks eligibility', () => {
  const f = simServices({ profile: 'scenarios', timeScale: 0.01 }, 'resume-eligibility', (cfg) => outsideRunbook(cfg));

  it('runtimes KEB no longer calls eligible end skipped with its state, not started; the others run', async () => {
    const [keep, deprovisioning, suspended] = (['fresh', 'with-keda', 'existing-default'] as const).map((s) => runtimeOf(f.sim.out, 'dev', s).runtimeId);
    const planned = await dispatch(f.ctx, 'plan', ['dev', `runtime-id=${keep}`, `runtime-id=${deprovisioning}`, `runtime-id=${suspended}`, '--json']);
    expect(planned.exitCode).toBe(0);
    const plan = planned.json as PlanDocument;
    expect(plan.runtimes).toHaveLength(3);
    // A wave of that plan, stopped before it started anything (as after a crash at its start).
    const journal = await f.ctx.services.journal();
    const wave = await journal.createWave({ env: 'dev', target: plan.target, planHash: plan.hash, state: 'interrupted', concurrency: 1, requestedBy: 'sre-1', approvedBy: null }, plan.runtimes);
    // Days later, KEB has changed its mind about two of them.
    (f.sim.sim.runtimesById.get(deprovisioning) as { state: string }).state = 'deprovisioning';
    (f.sim.sim.runtimesById.get(suspended) as { state: string }).state = 'suspended';
    const writesBefore = { ...f.sim.sim.getStats().kymaWrites };

    const resumed = await dispatch(f.ctx, 'resume', [wave.waveId, '--yes', '--json']);
    expect((resumed.json as WaveStatus).state).toBe('finished');
    const results = new Map((await journal.listWaveRuntimes(wave.waveId)).map((r) => [r.runtimeId, r.result!]));
    expect(results.get(keep)).toMatchObject({ outcome: 'migrated', patched: true });
    expect(results.get(deprovisioning)).toMatchObject({ outcome: 'skipped', reason: 'deprovisioning', class: 'not-eligible', patched: false });
    expect(results.get(suspended)).toMatchObject({ outcome: 'skipped', reason: 'suspended', class: 'not-eligible', patched: false });
    expect(results.get(suspended)!.detail).toBe('not started: KEB state suspended now (it was eligible when the wave was planned)');
    const writes = f.sim.sim.getStats().kymaWrites;
    expect([writes[deprovisioning] ?? 0, writes[suspended] ?? 0]).toEqual([writesBefore[deprovisioning] ?? 0, writesBefore[suspended] ?? 0]);
    // Their SKRs were not even read: nothing was started.
    expect(results.get(suspended)!.requests.total).toBe(0);
  });
});
