/**
 * `verify --wave` and a wave's final summary check the wave's own runtimes: a `--sample` wave is not its whole
 * target (before, the summary of a 2-runtime sample listed every other runtime of the target as not Ready).
 */
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import { finalViewOf } from '../../../src/chat/slack/wave-render.js';
import { simServices } from '../../helpers/sim-services.js';

interface VerifyJson {
  target: string;
  runtimes: number;
  runtimeIds: string[];
  missing: string[];
}

describe('verify of one wave', () => {
  const f = simServices({ profile: 'existing-default', runtimes: 60, timeScale: 0.02 }, 'verify-wave', (cfg) => {
    cfg.environments.dev.budgets = { wave: 100 };
  });

  it('checks the sample wave\'s runtimes only, in `verify --wave` and in the final summary', async () => {
    const run = await dispatch(f.ctx, 'run', ['dev', 'all', '--sample', '2', '--yes']);
    const wave = run.json as { waveId: string; state: string };
    expect(wave.state).toBe('finished');
    const ids = (await (await f.services.journal()).listWaveRuntimes(wave.waveId)).map((r) => r.runtimeId).sort();
    expect(ids.length).toBe(2);

    const whole = (await dispatch(f.ctx, 'verify', ['dev', '--json'])).json as VerifyJson;
    expect(whole.runtimes).toBeGreaterThan(2);
    expect(whole.missing.length).toBeGreaterThan(0); // the target's runtimes this wave never touched

    const res = await dispatch(f.ctx, 'verify', ['dev', '--wave', wave.waveId, '--json']);
    const mine = res.json as VerifyJson;
    expect(res.exitCode).toBe(0);
    expect({ target: mine.target, ids: [...mine.runtimeIds].sort(), missing: mine.missing }).toEqual({ target: `wave ${wave.waveId}`, ids, missing: [] });
    expect(res.text).toContain(`waves (the runtimes each migrated): ${wave.waveId}=ok`);

    const w = (await (await f.services.journal()).getWave(wave.waveId))!;
    const final = await finalViewOf(f.services, w, (name, argv) => dispatch(f.ctx, name, argv));
    expect(final.check).toMatchObject({ ok: true, runtimes: 2, manifests: 2, notReadyTotal: 0 });

    const wrongEnv = await dispatch(f.ctx, 'verify', ['stage', '--wave', wave.waveId]);
    expect(wrongEnv.exitCode).toBe(1);
    expect(wrongEnv.text).toContain(`verify dev --wave ${wave.waveId}`);
  });
});
