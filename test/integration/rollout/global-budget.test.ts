/**
 * Issue 6 §4: at most one wave per environment (atomically, `interrupted` included) and the global error budget over
 * all running waves, through the commands and the wave runner on the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveEvent } from '../../../src/rollout/wave-runner.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim, outsideRunbook } from '../../helpers/sim.js';

/** Platform failures per C2 (test/helpers/outcomes.ts), each fails every start. */
const FAILING = ['no-template', 'no-kyma', 'istio-error', 'skr-down', 'manifest-error'];

function writeConfig(sim: TestSim, wave: number | string, globalBudget?: number | string): string {
  return writeSimConfig(sim, 'global-budget', (cfg) => {
    for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave };
    if (globalBudget !== undefined) cfg.globalBudget = globalBudget;
    outsideRunbook(cfg); // waves of chosen runtimes, not runbook steps
  });
}

async function ctxFor(configFile: string): Promise<CommandContext> {
  const services = await Services.create({ configFile });
  await services.journal('create'); // as a first plan would: the tests read it directly
  return { user: 'sre-1', via: 'shell', interactive: false, services };
}

describe('global error budget and one wave per environment', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** One runtime of each named scenario in an environment. */
  const oneOfEach = (env: string, scenarios: string[]) => scenarios.map((sc) => runtimesOf(sim.out).find((r) => r.env === env && r.scenario === sc)!);
  const failingSpecs = (env: string) => oneOfEach(env, FAILING).map((r) => `runtime-id=${r.runtimeId}`);
  const started = (s: WaveStatus) => Object.entries(s.counts).reduce((n, [k, v]) => (k === 'pending' ? n : n + v), 0);

  /** Runs the failing runtimes of Dev and Stage as two waves at once; returns their statuses and budget events. */
  async function twoWaves(ctx: CommandContext) {
    const events: Extract<WaveEvent, { type: 'budget-stopped' }>[] = [];
    ctx.services.events.on('event', (e) => e.type === 'budget-stopped' && events.push(e));
    const dev = failingSpecs('dev');
    const stage = failingSpecs('stage');
    expect(dev).toHaveLength(FAILING.length);
    expect(stage).toHaveLength(FAILING.length);
    const [a, b] = await Promise.all([dispatch(ctx, 'run', ['dev', ...dev, '--concurrency', '2', '--yes']), dispatch(ctx, 'run', ['stage', ...stage, '--concurrency', '2', '--yes'])]);
    expect(a.exitCode).toBe(3);
    expect(b.exitCode).toBe(3);
    return { statuses: [a.json as WaveStatus, b.json as WaveStatus], events, texts: [a.text, b.text] };
  }

  it('stops new starts over both running waves exactly at the global budget, never overshooting it', async () => {
    const ctx = await ctxFor(writeConfig(sim, 100, 3));
    try {
      const { statuses, events, texts } = await twoWaves(ctx);
      expect(statuses.map((s) => s.state)).toEqual(['budget-stopped', 'budget-stopped']);
      // The hint names the budget that stopped it: raising the wave's own would not help.
      for (const [i, t] of texts.entries()) {
        expect(t).toContain(`next: resume ${statuses[i].waveId} continues it once the global error budget has room again`);
        expect(t).not.toContain('--budget');
      }
      // Every start fails on the platform side: exactly 3 runtimes started over both waves, the rest stay pending.
      expect(statuses.reduce((n, s) => n + started(s), 0)).toBe(3);
      expect(statuses.reduce((n, s) => n + s.counts.pending, 0)).toBe(2 * FAILING.length - 3);
      // The journal agrees: started runtimes are those with an attempt.
      const journal = await ctx.services.journal();
      let attempted = 0;
      for (const s of statuses) attempted += (await journal.listWaveRuntimes(s.waveId)).filter((r) => r.attempts > 0).length;
      expect(attempted).toBe(3);
      expect(events.map((e) => [e.scope, e.failures, e.budget]).sort()).toEqual([
        ['global', 3, 3],
        ['global', 3, 3],
      ]);
    } finally {
      await ctx.services.close();
    }
  });

  it('without a global budget, each wave is stopped by its own budget as before', async () => {
    const ctx = await ctxFor(writeConfig(sim, 2));
    try {
      expect(ctx.services.globalBudget).toBeUndefined();
      const { statuses, events, texts } = await twoWaves(ctx);
      expect(statuses.map((s) => s.state)).toEqual(['budget-stopped', 'budget-stopped']);
      expect(texts.map((t, i) => t.includes(`next: resume ${statuses[i].waveId} --budget 3 --yes`))).toEqual([true, true]);
      expect(statuses.map(started)).toEqual([2, 2]);
      expect(statuses.map((s) => s.counts.pending)).toEqual([FAILING.length - 2, FAILING.length - 2]);
      expect(events.map((e) => [e.scope, e.failures, e.budget])).toEqual([
        ['wave', 2, 2],
        ['wave', 2, 2],
      ]);
    } finally {
      await ctx.services.close();
    }
  });

  it('runs one of two concurrent runs of one environment and refuses the other, naming the active wave', async () => {
    const ctx = await ctxFor(writeConfig(sim, 100));
    try {
      const ok = oneOfEach('stage', ['fresh', 'with-keda']);
      expect(ok).toHaveLength(2);
      const results = await Promise.all(ok.map((r) => dispatch(ctx, 'run', ['stage', `runtime-id=${r.runtimeId}`, '--yes'])));
      const ran = results.filter((r) => r.exitCode === 0);
      const refused = results.filter((r) => r.exitCode === 1);
      expect(ran).toHaveLength(1);
      expect(refused).toHaveLength(1);
      const wave = ran[0].json as WaveStatus;
      expect(wave.state).toBe('finished');
      expect(refused[0].text).toContain(`wave ${wave.waveId} is still`);
      expect(refused[0].text).toContain('one wave per environment');
      const journal = await ctx.services.journal();
      expect(await journal.listWaves({ env: 'stage' })).toHaveLength(1);
    } finally {
      await ctx.services.close();
    }
  });

  it('counts an interrupted wave as active: run is refused until it is resumed to its end or aborted', async () => {
    const ctx = await ctxFor(writeConfig(sim, 100));
    try {
      const journal = await ctx.services.journal();
      const rt = runtimesOf(sim.out).find((r) => r.env === 'dev' && r.scenario === 'fresh')!;
      const old = await journal.createWave({ env: 'dev', target: 'x', planHash: 'f'.repeat(64), state: 'interrupted', concurrency: 1, requestedBy: 'sre-2', approvedBy: null }, [
        { runtimeId: rt.runtimeId, shootName: rt.shootName, globalAccountId: rt.globalAccountId, subaccountId: rt.subaccountId, plan: rt.plan, region: rt.region },
      ]);
      const refused = await dispatch(ctx, 'run', ['dev', `runtime-id=${rt.runtimeId}`, '--yes']);
      expect(refused.exitCode).toBe(1);
      expect(refused.text).toContain(`wave ${old.waveId} is still interrupted in dev`);
      expect(refused.text).toContain(`resume ${old.waveId}`);
      expect(refused.text).toContain(`abort ${old.waveId}`);
      // Nothing runs it here (no bot): abort ends it at once and frees the environment.
      expect((await dispatch(ctx, 'abort', [old.waveId])).exitCode).toBe(0);
      expect((await journal.getWave(old.waveId))!.state).toBe('aborted');
      const ran = await dispatch(ctx, 'run', ['dev', `runtime-id=${rt.runtimeId}`, '--yes']);
      expect((ran.json as WaveStatus).state).toBe('finished');
    } finally {
      await ctx.services.close();
    }
  });

  it('resume of an interrupted, paused wave changes nothing until it is confirmed (no --yes, or "no" at the prompt)', async () => {
    const ctx = await ctxFor(writeConfig(sim, 100));
    try {
      const journal = await ctx.services.journal();
      const rt = runtimesOf(sim.out).find((r) => r.env === 'dev' && r.scenario === 'with-keda')!;
      const w = await journal.createWave({ env: 'dev', target: 'y', planHash: 'e'.repeat(64), state: 'interrupted', concurrency: 1, requestedBy: 'sre-2', approvedBy: null }, [
        { runtimeId: rt.runtimeId, shootName: rt.shootName, globalAccountId: rt.globalAccountId, subaccountId: rt.subaccountId, plan: rt.plan, region: rt.region },
      ]);
      await journal.setWaveControl(w.waveId, 'pause');
      const unconfirmed = await dispatch(ctx, 'resume', [w.waveId]);
      expect(unconfirmed.exitCode).toBe(1);
      expect(unconfirmed.text).toContain('confirm with --yes');
      const declined = await dispatch({ ...ctx, interactive: true, confirm: () => Promise.resolve(false) }, 'resume', [w.waveId]);
      expect(declined.exitCode).toBe(1);
      expect(declined.text).toContain('not confirmed');
      // Still paused: a bot scanning for interrupted waves would not pick it up; no resume was audited.
      expect((await journal.getWave(w.waveId))!.control).toBe('pause');
      expect((await journal.listAudit({ subject: w.waveId })).filter((a) => a.action === 'resume')).toEqual([]);
      expect(sim.sim.getStats().kymaWrites[rt.runtimeId] ?? 0).toBe(0);
      await dispatch(ctx, 'abort', [w.waveId]);
    } finally {
      await ctx.services.close();
    }
  });
});
