/**
 * Issue 14 finding 2: in an environment that needs approvals (Prod), only its operators and approvers steer it —
 * every mutating command, decided once by the command dispatcher for Slack (signed requests to the real Bolt
 * receiver), the console and the shell (the built binary). The landscape is the simulator's, configured as a real
 * one (`simulated: false`): approvers named, operators left empty — "everyone" before this fix.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConsoleBot } from '../../src/chat/console/console-adapter.js';
import { Services } from '../../src/app/services.js';
import type { FakeSlack} from '../helpers/fake-slack.js';
import { postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { outsideRunbook, runtimeOf, type SimConfigDoc, type TestSim } from '../helpers/sim.js';
import { SECRET, type TestBot, closeSlackSetup, startSlackSetup } from './harness.js';
import { builtBin } from '../helpers/built-bin.js';

const BIN = builtBin();
const texts = (blocks: Json[]) => JSON.stringify(blocks);

describe('commands/permissions.ts — who steers Prod (Slack, console, shell)', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let t: TestBot;
  let configFile: string;
  let waveId: string;

  beforeAll(async () => {
    ({ sim, fake, t, configFile } = await startSlackSetup({
      fake: { usergroups: { SONCALL: ['U-ONCALL'] }, limits: { 'chat.postMessage': null } },
      approval: { prod: { approvers: ['U-APPROVER'], approverGroup: 'SONCALL', operators: [] } },
      config: (cfg) => {
        cfg.simulated = false; // a real configuration, as far as the bot can tell
        outsideRunbook(cfg as SimConfigDoc);
      },
    }));
    // A Prod wave to steer, created the way a finished run leaves it.
    const journal = await t.services.journal();
    const rt = runtimeOf(sim.out, 'prod', 'fresh');
    await journal.savePlan({ hash: 'f'.repeat(64), env: 'prod', target: `runtime-id=${rt.runtimeId}`, document: { concurrency: 4 }, createdBy: 'U-APPROVER', createdAt: new Date().toISOString() });
    const wave = await journal.createWave(
      { env: 'prod', target: `runtime-id=${rt.runtimeId}`, planHash: 'f'.repeat(64), state: 'paused', concurrency: 4, requestedBy: 'U-APPROVER', approvedBy: 'U-ONCALL' },
      [{ runtimeId: rt.runtimeId, shootName: rt.shootName, globalAccountId: rt.globalAccountId, subaccountId: rt.subaccountId, plan: rt.plan, region: rt.region, instanceId: rt.instanceId }],
    );
    waveId = wave.waveId;
  });
  afterAll(() => closeSlackSetup({ t, fake, sim }));

  async function slash(text: string, user: string) {
    fake.reset();
    const res = await postSigned(t.eventsUrl, slashPayload(text, { user }), SECRET);
    expect(res.status).toBe(200);
    await t.bot.idle();
    return { posts: fake.callsTo('chat.postMessage'), eph: fake.callsTo('chat.postEphemeral').filter((c) => c.body.user === user) };
  }

  it.each([
    ['set-concurrency WAVE 1000'],
    ['abort WAVE'],
    ['pause WAVE'],
    ['drain WAVE'],
    ['resume WAVE --yes'],
    ['retry-failed WAVE --yes'],
    ['freeze prod'],
    ['unfreeze prod'],
    ['run prod all --yes'],
  ])('refuses `%s` to a workspace member who is neither operator nor approver, changing nothing', async (line) => {
    const journal = await t.services.journal();
    const before = await journal.getWave(waveId);
    const { posts, eph } = await slash(line.replace('WAVE', waveId), 'U-MEMBER');
    expect(posts).toHaveLength(0);
    expect(eph).toHaveLength(1);
    expect(texts(eph[0].body.blocks)).toMatch(/<@U-MEMBER> may not run `[a-z-]+` in prod: it needs on-call approvals, so only its approvers <@U-APPROVER> or <!subteam\^SONCALL> steer it/);
    expect(await journal.getWave(waveId)).toEqual(before);
    expect(await journal.frozenScopes()).not.toContain('prod');
  });

  it('lets an approver (named, or of the on-call group) steer it', async () => {
    const journal = await t.services.journal();
    expect((await slash(`set-concurrency ${waveId} 2`, 'U-APPROVER')).eph).toEqual([]);
    expect((await journal.getWave(waveId))!.concurrency).toBe(2);
    expect((await slash('freeze prod', 'U-ONCALL')).eph).toEqual([]);
    expect(await journal.frozenScopes()).toContain('prod');
    expect((await slash('unfreeze prod', 'U-ONCALL')).eph).toEqual([]);
  });

  it('refuses task actions on a Prod task to a non-operator', async () => {
    const journal = await t.services.journal();
    const rt = runtimeOf(sim.out, 'prod', 'custom-cr');
    const task = await journal.openTask({ runtimeId: rt.runtimeId, waveId, env: 'prod', globalAccountId: rt.globalAccountId, subaccountId: rt.subaccountId, shootName: rt.shootName, istioCrs: [], message: 'two Istio CRs' });
    const { eph } = await slash(`task ${task.taskId} agreed`, 'U-MEMBER');
    expect(texts(eph[0].body.blocks)).toContain('may not run `task` in prod');
    expect((await journal.getTask(task.taskId))!.state).toBe('open');
  });

  it('decides the same in the console', async () => {
    const services = await Services.create({ configFile });
    try {
      const bot = new ConsoleBot({ services });
      await bot.say('U-MEMBER', `abort ${waveId}`);
      expect(bot.lastReply()).toContain('may not run `abort` in prod');
      expect(bot.failed).toBe(1);
      expect((await (await services.journal()).getWave(waveId))!.state).toBe('paused');
    } finally {
      await services.close();
    }
  });

  it('decides the same in the shell (the built binary, as ISTIO_MIGRATE_USER)', async () => {
    const shell = (user: string, ...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, ...args, '--config', configFile], { env: { ...process.env, ISTIO_MIGRATE_USER: user } }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
      });
    const refused = await shell('intruder', 'set-concurrency', waveId, '1000', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout.trim())).toEqual({ error: expect.stringContaining('intruder may not run `set-concurrency` in prod') });
    expect((await (await t.services.journal()).getWave(waveId))!.concurrency).toBe(2);
    const allowed = await shell('U-APPROVER', 'set-concurrency', waveId, '3', '--json');
    expect(allowed.code).toBe(0);
  });
});
