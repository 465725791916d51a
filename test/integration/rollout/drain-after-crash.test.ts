/**
 * A wave drained or paused when its runner died: the runtimes that runner had in flight are in flight still, so the
 * runner that takes it up (the bot's resumer, keeping the control) finishes them — re-checked by state, never patched
 * twice — before it ends a draining wave. Before, it ended the wave `finished` at once and left them `patched` with
 * no outcome for good. (`resume` from the shell is an explicit decision: it lifts the drain.)
 */
import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { dispatch } from '../../../commands/index.js';
import { WaveResumer } from '../../../src/app/wave-resumer.js';
import type { PlanDocument } from '../../../src/rollout/plan-wave.js';
import { enableIstioLikeMigrateSh } from '../../helpers/sim.js';
import { simServices } from '../../helpers/sim-services.js';

describe('resuming a wave drained or paused before its runner died', () => {
  const f = simServices({ profile: 'existing-default', runtimes: 60, timeScale: 0.02 }, 'drain-crash', (cfg) => {
    cfg.environments.dev.budgets = { wave: 100 };
  });

  it.each(['drain', 'pause'] as const)('%s: the runtimes left in flight finish with their outcome; nothing new starts', async (control) => {
    const plan = (await dispatch(f.ctx, 'plan', ['dev', 'all', '--json'])).json as PlanDocument;
    const journal = await f.services.journal();
    const wave = await journal.createWave({ env: 'dev', target: plan.target, planHash: plan.hash, state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: null }, plan.runtimes);
    // The dead runner: two runtimes patched (the patch reached the cluster, the journal says `patched`), one started.
    const [a, b, c] = plan.runtimes.slice(control === 'drain' ? 0 : 3); // runtimes of their own for each case
    await journal.acquireLease(wave.waveId, 'dead-runner', 60_000);
    for (const r of [a, b, c]) await journal.startRuntime(wave.waveId, r.runtimeId, 'dead-runner');
    for (const r of [a, b]) {
      await journal.checkpoint(wave.waveId, r.runtimeId, 'before-patch', 'dead-runner');
      await enableIstioLikeMigrateSh(f.sim, r.runtimeId);
      await journal.checkpoint(wave.waveId, r.runtimeId, 'patched', 'dead-runner');
    }
    await journal.setWaveControl(wave.waveId, control);
    await journal.setWaveState(wave.waveId, control === 'drain' ? 'draining' : 'paused');
    await journal.releaseLease(wave.waveId, 'dead-runner'); // its lease lapsed

    // The bot's resumer takes the wave up (a restarted pod), keeping its control.
    const resumer = WaveResumer.of(f.services, pino({ level: 'silent' }));
    expect(await resumer.scan()).toEqual([wave.waveId]);
    const done = async () => (await journal.listWaveRuntimes(wave.waveId)).filter((r) => r.state === 'finished').length === 3;
    if (control === 'pause') {
      // A paused wave stays paused, and the runtimes left in flight finish meanwhile.
      for (let i = 0; i < 1000 && !(await done()); i++) await new Promise((r) => setTimeout(r, 20));
      expect((await journal.getWave(wave.waveId))!.state).toBe('paused');
      await journal.setWaveControl(wave.waveId, 'abort');
    }
    await resumer.running.get(wave.waveId);
    expect(await done()).toBe(true);
    expect((await journal.getWave(wave.waveId))!.state).toBe(control === 'drain' ? 'finished' : 'aborted');
    const rows = new Map((await journal.listWaveRuntimes(wave.waveId)).map((r) => [r.runtimeId, r]));
    for (const r of [a, b]) expect({ state: rows.get(r.runtimeId)!.state, outcome: rows.get(r.runtimeId)!.result?.outcome, patched: rows.get(r.runtimeId)!.result?.patched }).toEqual({ state: 'finished', outcome: 'migrated', patched: true });
    expect(rows.get(c.runtimeId)!.result?.outcome).toBe('migrated');
    expect(f.sim.sim.getStats().kymaWrites[a.runtimeId]).toBe(1); // ours, above: never patched twice
    expect(f.sim.sim.getStats().kymaWrites[c.runtimeId]).toBe(1);
    expect([...rows.values()].filter((r) => r.state === 'pending')).toHaveLength(plan.runtimes.length - 3);
  });
});
