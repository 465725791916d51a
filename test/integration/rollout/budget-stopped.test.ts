/**
 * commands/control.ts: a budget-stopped wave is no dead end (issue 17 §2, §3) — resume says why it cannot go on
 * and continues with `--budget N` (recorded; in Prod approved as `budget:<wave>:<n>`), pause says why it cannot help, abort
 * ends it, and retry-failed says when nothing is retryable. Commands dispatched as the shell does, against the
 * simulator over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { buildWaveView } from '../../../src/wave-page/wave-view.js';
import { runtimeOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

/** A selector of exactly these runtimes (values are full-match regexes). */
const only = (ids: string[]) => `runtime-id=(${ids.join('|')})`;

describe('commands/control.ts: resume --budget, abort and retry-failed of a budget-stopped wave', () => {
  let sim: TestSim;
  let ctx: CommandContext;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    const file = writeSimConfig(sim, 'budget-stopped', (cfg) => {
      for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave: 1 };
      cfg.environments.prod.approval = { approvers: ['oncall-1'], operators: [] };
    });
    ctx = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: file }) };
    await ctx.services.journal('create'); // as a first plan would: the tests read it directly
  });
  afterAll(async () => {
    await ctx.services.close();
    await sim.close();
  });

  /** Two platform failures among four: whatever the order, the first failure stops it with something left. */
  const stoppedWave = (env: 'dev' | 'prod', as: CommandContext = ctx) => {
    const ids = [runtimeOf(sim.out, env, 'skr-down'), runtimeOf(sim.out, env, 'manifest-error'), runtimeOf(sim.out, env, 'fresh'), runtimeOf(sim.out, env, 'with-keda')].map((r) => r.runtimeId);
    return { ids, run: (extra: string[]) => dispatch(as, 'run', [env, only(ids), '--yes', ...extra]) };
  };

  it('Dev: resume says why (not "started"), pause cannot help, resume --budget N continues it (recorded), abort ends a stopped wave', async () => {
    const journal = await ctx.services.journal();
    const { run } = stoppedWave('dev');
    const first = await run([]);
    const stopped = first.json as WaveStatus;
    expect(stopped.state).toBe('budget-stopped');
    expect(first.exitCode).toBe(3);
    expect(stopped.counts.pending).toBeGreaterThan(0);
    // The hint is a command that is taken (a plain `resume` would stop again at once and is refused below).
    expect(first.text).toContain(`next: resume ${stopped.waveId} --budget 2 --yes continues it with a larger error budget`);

    const refused = await dispatch(ctx, 'resume', [stopped.waveId, '--yes']);
    expect(refused.exitCode).toBe(1);
    expect(refused.text).toContain(`its 1 platform failures reached its error budget of 1, so it would stop again at once`);
    expect(refused.text).toContain(`resume ${stopped.waveId} --budget 2`);
    expect((await dispatch(ctx, 'status', [stopped.waveId])).json).toMatchObject({ state: 'budget-stopped', counts: stopped.counts });

    const pause = await dispatch(ctx, 'pause', [stopped.waveId]);
    expect(pause.exitCode).toBe(1);
    expect(pause.text).toContain('budget-stopped: nothing runs');
    // Its hint is a command resume takes (not a placeholder N).
    expect(pause.text).toContain(`resume ${stopped.waveId} --budget 2 --yes continues it with a larger error budget`);

    const tooSmall = await dispatch(ctx, 'resume', [stopped.waveId, '--budget', '1', '--yes']);
    expect(tooSmall.exitCode).toBe(1);
    expect(tooSmall.text).toContain('would stop');

    const resumed = await dispatch(ctx, 'resume', [stopped.waveId, '--budget', '10', '--yes']);
    const after = resumed.json as WaveStatus;
    expect(after.state).toBe('finished');
    expect(after.counts.pending).toBe(0);
    expect(await journal.raisedBudget(stopped.waveId)).toBe(10);
    expect((await journal.listAudit({ subject: stopped.waveId })).find((a) => a.action === 'set-budget')).toMatchObject({ actor: 'sre-1', detail: { from: 1, to: 10 } });
    // What is shown of the wave tells the budget it ran to, not the environment's: its page and its chart.
    expect((await buildWaveView({ journal, budget: ctx.services }, stopped.waveId))?.budget).toBe(10);
    expect((await dispatch(ctx, 'export', [stopped.waveId, '--format', 'svg'])).text).toContain('budget (10)');

    // Another stopped wave: abort ends it (a stopped wave has no runner to obey a control).
    const second = (await run([])).json as WaveStatus;
    expect(second.state).toBe('budget-stopped');
    const abort = await dispatch(ctx, 'abort', [second.waveId]);
    expect(abort.exitCode).toBe(0);
    expect(abort.json).toMatchObject({ state: 'aborted' });
    expect(abort.text).toContain('aborted (it was budget-stopped)');
    // The hint works when pasted: a plain `resume --yes` of a wave stopped by its budget is refused, --budget is not.
    expect(abort.text).toContain(`resume ${second.waveId} --budget 2 --yes would continue it`);
    expect((await dispatch(ctx, 'abort', [second.waveId])).text).toContain('aborted already');
    // An ended wave takes no concurrency, as it takes no pause or drain.
    const conc = await dispatch(ctx, 'set-concurrency', [second.waveId, '4']);
    expect(conc.exitCode).toBe(1);
    expect(conc.text).toContain(`wave ${second.waveId} has ended (aborted): nothing to set-concurrency`);
  }, 120_000);

  it('retry-failed says so when nothing is retryable, and otherwise reports only what it retried', async () => {
    const ids = [runtimeOf(sim.out, 'stage', 'fresh'), runtimeOf(sim.out, 'stage', 'custom-cr')].map((r) => r.runtimeId);
    const done = (await dispatch(ctx, 'run', ['stage', only(ids), '--yes', '--force'])).json as WaveStatus; // not a runbook step: forced
    expect(done).toMatchObject({ state: 'finished' });
    const nothing = await dispatch(ctx, 'retry-failed', [done.waveId, '--yes']);
    expect(nothing.exitCode).toBe(0);
    expect(nothing.text).toMatch(/^nothing to retry: .* no runtimes that failed on the platform side/);
    expect(nothing.text).toContain('1 customer outcomes');
    expect(nothing.json).toMatchObject({ retried: 0 });

    const failing = [runtimeOf(sim.out, 'stage', 'skr-down')].map((r) => r.runtimeId);
    const failed = (await dispatch(ctx, 'run', ['stage', only(failing), '--yes', '--force'])).json as WaveStatus;
    expect(failed.counts.error).toBe(1);
    const retried = await dispatch(ctx, 'retry-failed', [failed.waveId, '--yes']);
    expect(retried.text).toMatch(new RegExp(`^retried 1 runtimes of ${failed.waveId}: error 1\\nwave: `));
    expect(retried.json).toMatchObject({ retried: 1, retriedOutcomes: { error: 1 } });
  }, 120_000);

  it('Prod: resume --budget N needs an on-call approval of budget:<wave>:N, good for one use', async () => {
    const journal = await ctx.services.journal();
    const { ids } = stoppedWave('prod');
    const planned = await dispatch(ctx, 'plan', ['prod', only(ids), '--json']);
    const hash = (planned.json as { hash: string }).hash;
    // Not a runbook step: a forced run, approved as such.
    expect((await dispatch({ ...ctx, user: 'oncall-1' }, 'approve', [hash, '--as', 'oncall-1', '--action', 'force'])).exitCode).toBe(0);
    const stopped = (await dispatch(ctx, 'run', ['--plan', hash, '--yes', '--force'])).json as WaveStatus;
    expect(stopped).toMatchObject({ state: 'budget-stopped' });

    const refused = await dispatch(ctx, 'resume', [stopped.waveId, '--budget', '5', '--yes']);
    expect(refused.exitCode).toBe(1);
    expect(refused.approvalNeeded).toMatchObject({ action: `budget:${stopped.waveId}:5`, planHash: hash, requester: 'sre-1', subject: { kind: 'wave', waveId: stopped.waveId }, command: { name: 'resume', argv: [stopped.waveId, '--budget', '5', '--yes'] } });
    expect(await journal.raisedBudget(stopped.waveId)).toBeUndefined();

    // An approval of another number does not cover it.
    await dispatch({ ...ctx, user: 'oncall-1' }, 'approve', [hash, '--as', 'oncall-1', '--action', `budget:${stopped.waveId}:50`]);
    expect((await dispatch(ctx, 'resume', [stopped.waveId, '--budget', '5', '--yes'])).approvalNeeded?.action).toBe(`budget:${stopped.waveId}:5`);

    await dispatch({ ...ctx, user: 'oncall-1' }, 'approve', [hash, '--as', 'oncall-1', '--action', `budget:${stopped.waveId}:5`]);
    const resumed = await dispatch(ctx, 'resume', [stopped.waveId, '--budget', '5', '--yes']);
    expect(resumed.approvalNeeded).toBeUndefined();
    expect((resumed.json as WaveStatus).counts.pending).toBe(0);
    expect(await journal.raisedBudget(stopped.waveId)).toBe(5);
  }, 120_000);
});
