/**
 * retry-failed on a wave whose runner died with its lease unexpired (`status` shows it interrupted, as a
 * SRE sees it right after a crash): the dead runner's lease is taken over, as `resume` does. Before, the failures
 * were reset (and a Prod approval used up) first, then the run was refused for the lease: the failures were gone.
 */
import os from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import { runtimeOf } from '../../helpers/sim.js';
import { simServices } from '../../helpers/sim-services.js';

describe('retry-failed right after a crash', () => {
  const f = simServices({ profile: 'scenarios', timeScale: 0.01 }, 'retry-lease', (cfg) => {
    cfg.environments.dev.budgets = { wave: 100 };
  });

  it('takes the dead runner\'s lease over and retries; nothing is reset before it knows it can run', async () => {
    const down = runtimeOf(f.sim.out, 'dev', 'skr-down').runtimeId;
    const fresh = runtimeOf(f.sim.out, 'dev', 'fresh').runtimeId;
    const first = await dispatch(f.ctx, 'run', ['dev', `runtime-id=${down}|${fresh}`, '--yes']);
    const waveId = (first.json as { waveId: string }).waveId;
    const journal = await f.services.journal();
    expect((await journal.listWaveRuntimes(waveId)).find((r) => r.runtimeId === down)!.result).toMatchObject({ outcome: 'error', class: 'platform' });

    // A runner of this host that no longer exists still holds the lease of the wave it was running.
    const dead = `${os.hostname()}:999999:0bad`;
    await journal.setWaveState(waveId, 'running');
    expect((await journal.acquireLease(waveId, dead, 60_000)).holder).toBe(dead);
    expect((await dispatch(f.ctx, 'status', [waveId, '--json'])).json).toMatchObject({ state: 'interrupted' });

    const res = await dispatch(f.ctx, 'retry-failed', [waveId, '--yes']);
    expect(res.text).not.toContain('not starting a second runner');
    expect(res.text).toContain(`retried 1 runtimes of ${waveId}: error 1`);
    const row = (await journal.listWaveRuntimes(waveId)).find((r) => r.runtimeId === down)!;
    expect({ attempts: row.attempts, state: row.state, outcome: row.result?.outcome }).toEqual({ attempts: 2, state: 'finished', outcome: 'error' });
    expect((await journal.getWave(waveId))!.state).toBe('finished');
  });
});
