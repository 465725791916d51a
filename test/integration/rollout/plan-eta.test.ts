/**
 * The plan's ETA (runtime-pace.ts): without an ended wave it assumes LM's usual minute (scaled) and says so; after a
 * wave it takes the mean time of that wave's runtimes — of the same environment, else of the one before it in the
 * runbook — and names the wave. The mean is recomputed here from the journal's results.
 */
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import { simServices } from '../../helpers/sim-services.js';

interface PlanJson {
  hash: string;
  eta: number;
  etaBasis: { perRuntimeSeconds: number; waveId?: string; runtimes?: number };
  expectedConcurrency: { rounds: number };
}

const TIME_SCALE = 0.02;

describe('plan ETA from the pace of the last wave', () => {
  const f = simServices({ profile: 'existing-default', runtimes: 60, timeScale: TIME_SCALE }, 'plan-eta', (cfg) => {
    for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave: 100 };
  });

  it('assumes the scaled minute with no history, then uses the Dev wave for Dev and Stage plans', async () => {
    const first = await dispatch(f.ctx, 'plan', ['stage', 'all', '--concurrency', '4']);
    const before = first.json as PlanJson;
    expect(before.etaBasis).toEqual({ perRuntimeSeconds: 60 * TIME_SCALE });
    expect(before.eta).toBe(Math.ceil(before.expectedConcurrency.rounds * 60 * TIME_SCALE));
    expect(first.text).toContain(`(~${60 * TIME_SCALE} s a runtime assumed: no ended wave to measure yet)`);

    const run = await dispatch(f.ctx, 'run', ['dev', 'all', '--concurrency', '8', '--yes']);
    const wave = run.json as { waveId: string; state: string; counts: Record<string, number> };
    expect(wave.state).toBe('finished');
    const rows = await (await f.services.journal()).listWaveRuntimes(wave.waveId);
    const durations = rows.map((r) => r.result!.durationMs);
    expect(durations.length).toBeGreaterThanOrEqual(3);
    const mean = Math.round(durations.reduce((a, b) => a + b, 0) / durations.length / 100) / 10;
    // LM on existing-default takes over in well under a scaled minute: the measured pace differs from the default.
    expect(mean).not.toBe(60 * TIME_SCALE);

    for (const env of ['dev', 'stage']) {
      const res = await dispatch(f.ctx, 'plan', [env, 'all', '--concurrency', '4']);
      const p = res.json as PlanJson;
      expect(p.etaBasis).toEqual({ perRuntimeSeconds: mean, waveId: wave.waveId, runtimes: durations.length });
      expect(p.eta).toBe(Math.ceil(p.expectedConcurrency.rounds * mean));
      expect(res.text).toContain(`a runtime, as in wave ${wave.waveId})`);
      // The basis is shown, not hashed: the same runtimes and settings keep their hash.
      if (env === 'stage') expect(p.hash).toBe(before.hash);
    }
    // Prod's runbook predecessor is Stage, which has no ended wave: the default again.
    const prod = (await dispatch(f.ctx, 'plan', ['prod', 'all', '--concurrency', '4'])).json as PlanJson;
    expect(prod.etaBasis.waveId).toBeUndefined();
  });
});
