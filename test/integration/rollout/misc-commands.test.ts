/**
 * The smaller commands (commands/export.ts, show.ts, task.ts, freeze.ts) against a simulated landscape: export (json, csv), show by runtime id,
 * shoot or subaccount, tasks (open) vs tasks all, freeze of one environment, unfreeze without an argument.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { outsideRunbook, runtimeOf, startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

const writeConfig = (sim: TestSim) =>
  writeSimConfig(sim, 'misc', (cfg) => {
    outsideRunbook(cfg); // waves of chosen runtimes, not runbook steps
    for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave: 100 };
  });

describe('commands export, show, tasks, freeze/unfreeze', () => {
  let sim: TestSim;
  let ctx: CommandContext;
  let waveId: string;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    ctx = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: writeConfig(sim) }) };
    // A small Dev wave: one that migrates, two with more than one Istio CR (customer tasks).
    const ids = ['fresh', 'custom-cr-legacy', 'custom-cr'].map((s) => runtimeOf(sim.out, 'dev', s as 'fresh').runtimeId);
    const res = await dispatch(ctx, 'run', ['dev', ...ids.map((id) => `runtime-id=${id}`), '--yes']);
    waveId = (res.json as WaveStatus).waveId;
    expect((res.json as WaveStatus).state).toBe('finished');
  });
  afterAll(async () => {
    await ctx.services.close();
    await sim.close();
  });

  it('export --format json and csv: one record per runtime with its outcome', async () => {
    const fresh = runtimeOf(sim.out, 'dev', 'fresh');
    const json = await dispatch(ctx, 'export', [waveId, '--format', 'json']);
    expect(json.exitCode).toBe(0);
    const records = JSON.parse(json.text) as { waveId: string; runtimeId: string; shootName: string; outcome: string | null; state: string }[];
    expect(records).toEqual(json.json);
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.waveId === waveId && r.state === 'finished')).toBe(true);
    const freshRec = records.find((r) => r.runtimeId === fresh.runtimeId)!;
    expect(freshRec).toMatchObject({ shootName: fresh.shootName, subaccountId: fresh.subaccountId, outcome: 'migrated' });
    expect(records.filter((r) => r.outcome === 'multiple-istio-crs')).toHaveLength(2);

    const csv = await dispatch(ctx, 'export', [waveId, '--format', 'csv']);
    expect(csv.exitCode).toBe(0);
    const lines = csv.text.split('\n');
    expect(lines[0]).toBe('waveId,runtimeId,shootName,globalAccountId,subaccountId,plan,region,state,outcome,reason,message,detail,finishedAt');
    expect(lines).toHaveLength(4);
    const freshLine = lines.find((l) => l.includes(fresh.runtimeId))!;
    expect(freshLine.startsWith(`${waveId},${fresh.runtimeId},${fresh.shootName},${fresh.globalAccountId},${fresh.subaccountId},${fresh.plan},${fresh.region},finished,migrated,`)).toBe(true);

    expect((await dispatch(ctx, 'export', [waveId, '--format', 'xml'])).exitCode).toBe(2);
    expect((await dispatch(ctx, 'export', ['dev-19990101-9'])).exitCode).toBe(1);
  });

  it('a flag that would be ignored is refused (exit 2, with an example); an ended wave takes no concurrency; a second cancel records nothing', async () => {
    const both = await dispatch(ctx, 'export', [waveId, '--format', 'csv', '--json']);
    expect({ code: both.exitCode, text: both.text }).toEqual({ code: 2, text: expect.stringContaining('--json prints JSON, --format csv asks for csv: give one of them') });
    expect((await dispatch(ctx, 'export', [waveId, '--format', 'json', '--json'])).exitCode).toBe(0);
    const st = await dispatch(ctx, 'status', [waveId, '--all']);
    expect({ code: st.exitCode, text: st.text }).toEqual({ code: 2, text: expect.stringContaining(`status ${waveId} shows one wave; --all lists every wave: give one of them`) });
    const conc = await dispatch(ctx, 'set-concurrency', [waveId, '4']);
    expect({ code: conc.exitCode, text: conc.text }).toEqual({ code: 1, text: expect.stringContaining(`wave ${waveId} has ended (finished): nothing to set-concurrency`) });

    const hash = ((await dispatch(ctx, 'plan', ['dev', `runtime-id=${runtimeOf(sim.out, 'dev', 'fresh').runtimeId}`, '--json'])).json as { hash: string }).hash;
    const journal = await ctx.services.journal();
    expect((await dispatch(ctx, 'cancel', [hash])).text).toContain('cancelled by sre-1');
    const audits = (await journal.listAudit({ subject: hash, limit: 20 })).length;
    const again = await dispatch({ ...ctx, user: 'sre-2' }, 'cancel', [hash]);
    expect(again.exitCode).toBe(0);
    expect(again.text).toMatch(new RegExp(`^plan ${hash.slice(0, 12)} is cancelled already, since \\d{4}-\\d\\d-\\d\\dT[^ ]+ by sre-1: nothing changed$`));
    expect((await journal.listAudit({ subject: hash, limit: 20 })).length).toBe(audits);
  });

  it('show finds a runtime by runtime id, shoot and subaccount', async () => {
    const fresh = runtimeOf(sim.out, 'dev', 'fresh');
    for (const key of [fresh.runtimeId, fresh.shootName, fresh.subaccountId]) {
      const res = await dispatch(ctx, 'show', [key]);
      expect(res.exitCode).toBe(0);
      const records = (res.json as { records: { waveId: string; runtimeId: string; result?: { outcome: string } }[] }).records;
      expect(records.map((r) => [r.waveId, r.runtimeId, r.result?.outcome])).toEqual([[waveId, fresh.runtimeId, 'migrated']]);
      expect(res.text).toContain(`${waveId} ${fresh.runtimeId} (${fresh.shootName})`);
    }
    const none = await dispatch(ctx, 'show', ['no-such-runtime']);
    expect(none.text).toBe('no wave touched no-such-runtime');
  });

  it('tasks lists the open ones, tasks all also the closed ones', async () => {
    const open = (await dispatch(ctx, 'tasks', [])).json as { tasks: { taskId: string; state: string }[] };
    expect(open.tasks).toHaveLength(2);
    const closed = open.tasks[0].taskId;
    expect((await dispatch(ctx, 'task', [closed, 'resolved'])).exitCode).toBe(0);
    const after = await dispatch(ctx, 'tasks', []);
    expect((after.json as { tasks: { taskId: string }[] }).tasks.map((t) => t.taskId)).toEqual([open.tasks[1].taskId]);
    expect(after.text).not.toContain(closed);
    const all = await dispatch(ctx, 'tasks', ['all']);
    const allTasks = (all.json as { tasks: { taskId: string; state: string }[] }).tasks;
    expect(allTasks.map((t) => t.taskId).sort()).toEqual(open.tasks.map((t) => t.taskId).sort());
    expect(allTasks.find((t) => t.taskId === closed)!.state).toBe('resolved');
    expect(all.text).toContain(`${closed} resolved`);
    const unknown = await dispatch(ctx, 'task', ['nope', 'rename']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.text).toContain('no task nope: task ids look like task-3');
    expect(unknown.text).toContain('tasks all');
  });

  it('freeze <env> makes run refuse there and not elsewhere; unfreeze without argument lifts every freeze', async () => {
    const journal = await ctx.services.journal();
    expect((await dispatch(ctx, 'freeze', ['prod'])).exitCode).toBe(0);
    const stageId = runtimeOf(sim.out, 'stage', 'fresh').runtimeId;
    const prodId = runtimeOf(sim.out, 'prod', 'fresh').runtimeId;
    const refused = await dispatch(ctx, 'run', ['prod', `runtime-id=${prodId}`, '--yes']);
    expect(refused.exitCode).toBe(1);
    expect(refused.text).toContain('prod is frozen');
    expect(await journal.listWaves({ env: 'prod' })).toHaveLength(0);
    const other = await dispatch(ctx, 'run', ['stage', `runtime-id=${stageId}`, '--yes']);
    expect(other.exitCode).toBe(0);
    expect((other.json as WaveStatus).state).toBe('finished');

    // unfreeze <env> while all is frozen: says what still holds.
    await dispatch(ctx, 'freeze', ['all']);
    const partial = await dispatch(ctx, 'unfreeze', ['prod']);
    expect(partial.text).toContain('still frozen: all');
    // The refusal names the freeze that holds, so its hint is one that helps.
    const st = await dispatch(ctx, 'status', []);
    expect(st.text.split('\n')[0]).toBe('frozen: all — no new waves or runtime starts there (unfreeze all)');
    expect(st.json).toMatchObject({ frozen: ['all'] });
    const held = await dispatch(ctx, 'run', ['prod', `runtime-id=${prodId}`, '--yes']);
    expect(held.text).toContain('prod is frozen by a freeze of all environments (freeze all): no new waves (unfreeze all first)');
    await dispatch(ctx, 'freeze', ['prod']);
    await dispatch(ctx, 'freeze', ['stage']);
    const res = await dispatch(ctx, 'unfreeze', []);
    expect(res.exitCode).toBe(0);
    expect(res.text).toBe('all unfrozen (lifted: all, stage, prod)');
    expect(res.json).toMatchObject({ cleared: ['all', 'stage', 'prod'], frozenScopes: [] });
    expect(await journal.frozenScopes()).toEqual([]);
    // Prod is no longer frozen: the run gets past the freeze to the next gate, Prod's approval.
    const again = await dispatch(ctx, 'run', ['prod', `runtime-id=${prodId}`, '--yes']);
    expect({ exitCode: again.exitCode, text: again.text }).toEqual({ exitCode: 1, text: expect.stringContaining('needs an on-call approval') });
    expect(again.text).not.toContain('frozen');
  });
});
