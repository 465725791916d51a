/**
 * Issue 14 findings 1 and 3, through the commands as the shell dispatches them (a simulated landscape, where the
 * shell may record approvals with `approve --as`):
 * - an approval of a plan is good for ONE wave, run only by the requester it names; a cancelled plan does not run
 *   until planned again; in Prod, raising a wave's concurrency above what was approved needs an approval of its own;
 * - the runbook order is judged on the runtimes a wave touches, not on how its target was written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext, CommandResult } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { RuntimeFileEntry } from '../../../src/sim/landscape/files.js';
import { outsideRunbook, runtimeOf, runtimesOf, startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

describe('commands/run.ts, commands/control.ts — an approval runs one wave, for the one who asked', () => {
  let sim: TestSim;
  let services: Services;
  const as = (user: string): CommandContext => ({ user, via: 'shell', interactive: false, services });
  const run = (user: string, ...argv: string[]) => dispatch(as(user), 'run', argv);

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    const file = writeSimConfig(sim, 'prod-trust', (cfg) => {
      outsideRunbook(cfg); // the order is the other describe's subject
      cfg.environments.prod.budgets = { wave: 100 };
      cfg.environments.prod.approval = { approvers: ['oncall-1'], operators: ['sre-1', 'sre-2'] };
    });
    services = await Services.create({ configFile: file });
    await services.journal('create'); // as a first plan would: the tests read it directly
  });
  afterAll(async () => {
    await services?.close();
    await sim?.close();
  });

  async function planned(user: string, runtimeId: string): Promise<string> {
    const p = await dispatch(as(user), 'plan', ['prod', `runtime-id=${runtimeId}`, '--json']);
    expect(p.exitCode).toBe(0);
    return (p.json as { hash: string }).hash;
  }
  const approve = (hash: string, ...more: string[]) => dispatch(as('sre-1'), 'approve', [hash, '--as', 'oncall-1', ...more]);
  const refusedForApproval = (r: CommandResult) => {
    expect(r.exitCode).toBe(1);
    expect(r.approvalNeeded).toBeDefined();
  };

  it('each Prod wave needs its own approval, also for the same plan hash; only the requester it names runs it', async () => {
    const journal = await services.journal();
    const hash = await planned('sre-1', runtimeOf(sim.out, 'prod', 'fresh').runtimeId);
    expect((await approve(hash)).exitCode).toBe(0);

    // A user who never asked cannot run on sre-1's approval.
    const stranger = await run('sre-2', '--plan', hash, '--yes');
    refusedForApproval(stranger);
    expect(stranger.text).toContain('names sre-1, not sre-2');
    expect(await journal.listWaves({ env: 'prod' })).toEqual([]);

    const first = await run('sre-1', '--plan', hash, '--yes');
    expect(first.exitCode).toBe(0);
    const wave1 = first.json as WaveStatus;
    expect(wave1).toMatchObject({ state: 'finished', requestedBy: 'sre-1', approvedBy: 'oncall-1', planHash: hash });
    expect((await journal.listApprovals(hash))[0]).toMatchObject({ usedBy: 'sre-1', usedAt: expect.any(String) });

    // The same hash again (planned again: the same hash) needs a new approval. One given before that wave started
    // and left unused (a second click on another replica, recorded in the same moment) is spent with it.
    expect(await planned('sre-1', runtimeOf(sim.out, 'prod', 'fresh').runtimeId)).toBe(hash);
    const before = new Date(Date.parse(wave1.createdAt) - 1000);
    await journal.recordApproval({ planHash: hash, approver: 'oncall-1', requestedBy: 'sre-1', createdAt: before.toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString(), action: 'run' });
    refusedForApproval(await run('sre-1', '--plan', hash, '--yes'));
    // `approve` does not take that spent one for a valid approval: it records a new one.
    expect((await approve(hash)).json).not.toMatchObject({ alreadyApproved: true });
    await journal.consumeApproval((await journal.listApprovals(hash)).find((a) => !a.usedAt && a.createdAt !== before.toISOString())!.id!, 'test');
    expect(await journal.listWaves({ env: 'prod' })).toHaveLength(1);

    // A new approval for sre-2 (named with --for): sre-2 runs one wave on it, once.
    expect((await approve(hash, '--for', 'sre-2')).exitCode).toBe(0);
    refusedForApproval(await run('sre-1', '--plan', hash, '--yes'));
    const second = await run('sre-2', '--plan', hash, '--yes');
    expect(second.json).toMatchObject({ requestedBy: 'sre-2', approvedBy: 'oncall-1' });
    refusedForApproval(await run('sre-2', '--plan', hash, '--yes'));
    expect(await journal.listWaves({ env: 'prod' })).toHaveLength(2);
  });

  it('a cancelled plan does not run until it is planned again and approved again (a journal record, not a chat setting)', async () => {
    const journal = await services.journal();
    const runtimeId = runtimeOf(sim.out, 'prod', 'with-keda').runtimeId;
    const hash = await planned('sre-1', runtimeId);
    expect((await approve(hash)).exitCode).toBe(0);
    const cancelled = await dispatch(as('sre-2'), 'cancel', [hash]);
    expect(cancelled.exitCode).toBe(0);
    expect(cancelled.text).toContain('1 approval given before is void, so running it again needs a new one');
    expect(await journal.planCancellation(hash)).toMatchObject({ cancelledBy: 'sre-2' });

    const refused = await run('sre-1', '--plan', hash, '--yes');
    expect(refused.exitCode).toBe(1);
    expect(refused.text).toContain(`plan ${hash.slice(0, 12)} was cancelled by sre-2`);
    expect((await journal.listWaves({ env: 'prod' })).filter((w) => w.planHash === hash)).toEqual([]);
    // The cancel voided the approval given before it: a decision not to run, which planning again does not undo.
    expect(await journal.listApprovals(hash)).toEqual([expect.objectContaining({ approver: 'oncall-1', usedBy: 'cancelled-by:sre-2', usedAt: expect.any(String) })]);
    // Nor is a cancelled plan approved anew: that approval would outlive the cancellation.
    const during = await approve(hash);
    expect({ exitCode: during.exitCode, text: during.text }).toEqual({ exitCode: 1, text: expect.stringContaining(`plan ${hash.slice(0, 12)} was cancelled by sre-2`) });
    expect(await journal.listApprovals(hash)).toHaveLength(1);

    expect(await planned('sre-1', runtimeId)).toBe(hash); // planned again: the cancellation is lifted
    expect(await journal.planCancellation(hash)).toBeUndefined();
    refusedForApproval(await run('sre-1', '--plan', hash, '--yes'));
    expect((await journal.listWaves({ env: 'prod' })).filter((w) => w.planHash === hash)).toEqual([]);
    expect((await approve(hash)).exitCode).toBe(0);
    const ran = await run('sre-1', '--plan', hash, '--yes');
    expect(ran.exitCode).toBe(0);
    expect((await journal.listAudit({ subject: hash, limit: 20 })).map((a) => a.action)).toEqual(expect.arrayContaining(['cancel', 'cancel-lifted']));
  });

  it('in Prod, set-concurrency above the approved value needs an approval of that raise', async () => {
    const journal = await services.journal();
    // Its own wave (not one an earlier test left): planned, approved and run here.
    const hash = await planned('sre-1', runtimeOf(sim.out, 'prod', 'fresh').runtimeId);
    expect((await approve(hash)).exitCode).toBe(0);
    const ran = await run('sre-1', '--plan', hash, '--yes');
    expect(ran.exitCode).toBe(0);
    const wave = ran.json as WaveStatus;
    expect(wave).toMatchObject({ planHash: hash, requestedBy: 'sre-1' });
    const approved = (await dispatch(as('sre-1'), 'status', [wave.waveId])).json as WaveStatus;
    const base = approved.concurrency;
    // An ended wave takes no concurrency (as no pause or drain): the wave is left as a crash leaves it, interrupted.
    await journal.setWaveState(wave.waveId, 'interrupted');

    const down = await dispatch(as('sre-1'), 'set-concurrency', [wave.waveId, String(Math.max(1, base - 1))]);
    expect(down.exitCode).toBe(0);
    const up = await dispatch(as('sre-1'), 'set-concurrency', [wave.waveId, '1000']);
    refusedForApproval(up);
    expect(up.approvalNeeded).toMatchObject({ action: `set-concurrency:${wave.waveId}:1000`, subject: { kind: 'wave', waveId: wave.waveId } });
    expect((await journal.getWave(wave.waveId))!.concurrency).toBe(Math.max(1, base - 1));
    // Back up to the approved value: no approval needed.
    expect((await dispatch(as('sre-2'), 'set-concurrency', [wave.waveId, String(base)])).exitCode).toBe(0);

    expect((await approve(wave.planHash, '--action', `set-concurrency:${wave.waveId}:${base + 4}`)).exitCode).toBe(0);
    const raised = await dispatch(as('sre-2'), 'set-concurrency', [wave.waveId, String(base + 4)]);
    expect(raised.exitCode).toBe(0);
    expect(raised.text).toContain('approved by oncall-1');
    // Up to the newly approved value again without another approval; beyond it, refused.
    expect((await dispatch(as('sre-1'), 'set-concurrency', [wave.waveId, String(base + 2)])).exitCode).toBe(0);
    expect((await dispatch(as('sre-1'), 'set-concurrency', [wave.waveId, String(base + 4)])).exitCode).toBe(0);
    refusedForApproval(await dispatch(as('sre-1'), 'set-concurrency', [wave.waveId, String(base + 5)]));
    expect((await dispatch(as('sre-1'), 'abort', [wave.waveId])).exitCode).toBe(0); // it holds Prod no longer
  });
});

/** An eligible runtime of a customer account (not Kyma-Test/Kyma-Integration: in no step before Canary). */
function customerRuntime(sim: TestSim, env: 'stage' | 'prod'): RuntimeFileEntry {
  const cfg = YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')) as { environments: Record<string, { targets: Record<string, string[]> }> };
  const internal = ['kyma-test', 'kyma-integration'].map((t) => cfg.environments[env].targets[t][0].slice('account='.length));
  const rt = runtimesOf(sim.out).find((r) => r.env === env && ['fresh', 'with-keda', 'existing-default'].includes(r.scenario) && !internal.includes(r.globalAccountId));
  if (!rt) throw new Error(`no eligible customer runtime in ${env}`);
  return rt;
}

describe('src/rollout/runbook.ts — the order is judged on the runtimes a wave touches', () => {
  let sim: TestSim;
  let services: Services;
  let ctx: CommandContext;

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    const file = writeSimConfig(sim, 'runbook-order', (cfg) => {
      for (const env of ['stage', 'prod']) cfg.environments[env].budgets = { wave: 100 };
      cfg.environments.prod.approval = { approvers: ['oncall-1'], operators: [] };
    });
    services = await Services.create({ configFile: file });
    await services.journal('create'); // as a first plan would: the tests read it directly
    ctx = { user: 'sre-1', via: 'shell', interactive: false, services };
  });
  afterAll(async () => {
    await services?.close();
    await sim?.close();
  });

  it.each([
    ['the named set', ['canary']],
    ['an equivalent selector', ['account=.+']],
    ['a union of selectors', ['region=.+', 'subaccount=.+']],
    ['a sample of everything', ['account=.+', '--sample', '3']],
    ['one runtime outside the first steps', ['runtime-id=RUNTIME']],
  ])('refuses %s in Stage before the earlier steps are done and verified', async (_what, argv) => {
    const rt = customerRuntime(sim, 'stage').runtimeId;
    const res = await dispatch(ctx, 'run', ['stage', ...argv.map((a) => a.replace('RUNTIME', rt)), '--yes']);
    expect(res.exitCode).toBe(1);
    expect(res.text).toMatch(/out of order: this wave touches \d+ runtimes of "the whole Canary landscape", step 3 of the stage runbook, but step 1 .* step 2 .* is not done and verified/);
    expect(await (await services.journal()).listWaves({ env: 'stage' })).toEqual([]);
  });

  it('in Prod, a selector equivalent to a later step needs --force, and the forced run an approval of "force"', async () => {
    const refused = await dispatch(ctx, 'run', ['prod', 'account=.+', '--yes']);
    expect(refused.text).toContain('out of order');
    expect(refused.approvalNeeded).toBeUndefined();
    const forced = await dispatch(ctx, 'run', ['prod', 'account=.+', '--yes', '--force']);
    expect(forced.approvalNeeded).toMatchObject({ action: 'force' });
    expect(await (await services.journal()).listWaves({ env: 'prod' })).toEqual([]);
  });

  it('lets the first step run however it is written, and --force runs a later one (recorded)', async () => {
    const journal = await services.journal();
    const first = await dispatch(ctx, 'run', ['stage', 'kyma-test', 'kyma-integration', '--sample', '2', '--yes']);
    expect((first.json as WaveStatus).state).toBe('finished'); // exit 0, or 3 when a sampled runtime failed
    const forced = await dispatch(ctx, 'run', ['stage', `runtime-id=${customerRuntime(sim, 'stage').runtimeId}`, '--yes', '--force']);
    expect(forced.exitCode).toBe(0);
    const force = (await journal.listAudit({ limit: 50 })).find((a) => a.action === 'force');
    expect(force?.detail).toMatchObject({ outOfOrder: [1, 2] });
  });
});
