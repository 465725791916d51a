import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metrics } from '../../src/observability/metrics.js';
import type { FakeSlack} from '../helpers/fake-slack.js';
import { buttonPayload, postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { runtimeOf, type TestSim } from '../helpers/sim.js';
import { SECRET, type TestBot, closeSlackSetup, startSlackSetup } from './harness.js';

const PROD = 'C-PROD';
const CUSTOMER = 'C-CUSTOMER';
const texts = (blocks: Json[]) => blocks.flatMap((b: Json) => [b.text?.text ?? '', ...(b.fields ?? []).map((f: Json) => f.text), ...(b.elements ?? []).map((e: Json) => e.text ?? '')]).join('\n');
const actionsOf = (m: Json) => m.blocks.filter((b: Json) => b.type === 'actions').flatMap((b: Json) => b.elements);

describe('src/chat/slack/approvals.ts — a Prod command refused for want of an approval asks on-call, and runs once approved', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let t: TestBot;
  const metrics = new Metrics();

  beforeAll(async () => {
    ({ sim, fake, t } = await startSlackSetup({
      // U-REQ is on call too: approving one's own request is refused all the same. U-X is not on call.
      fake: { usergroups: { SONCALL: ['U-ONCALL', 'U-REQ'] }, limits: { 'chat.postMessage': null } },
      approval: { prod: { approvers: [], approverGroup: 'SONCALL', operators: [] } },
      config: (cfg) => {
        cfg.chat = { channels: { prod: PROD }, customerContactChannel: CUSTOMER };
        cfg.environments.prod.budgets = { wave: 10 };
      },
      // The hook as `istio-migrate bot` wires it into /metrics.
      more: { onApproval: (env, result) => metrics.approvals.inc({ env, result }) },
    }));
  });
  afterAll(() => closeSlackSetup({ t, fake, sim }));

  async function slash(text: string, user: string): Promise<string[]> {
    fake.reset();
    const res = await postSigned(t.eventsUrl, slashPayload(text, { user }), SECRET);
    expect(res.status).toBe(200);
    await t.bot.idle();
    return fake.callsTo('chat.postEphemeral').filter((c) => c.body.user === user).map((c) => texts(c.body.blocks));
  }

  async function click(message: { channel: string; ts: string; text: string; blocks: Json[] }, actionId: string, user: string): Promise<string[]> {
    fake.reset();
    const res = await postSigned(t.eventsUrl, { payload: JSON.stringify(buttonPayload(message, actionId, user)) }, SECRET);
    expect(res.status).toBe(200);
    await t.bot.idle();
    return fake.callsTo('chat.postEphemeral').filter((c) => c.body.user === user).map((c) => texts(c.body.blocks));
  }

  const threadOf = (channel: string, ts: string) => [...fake.messages.values()].filter((m) => m.channel === channel && m.threadTs === ts);
  const counter = async () =>
    Object.fromEntries((await metrics.approvals.get()).values.map((v) => [`${v.labels.env}/${v.labels.result}`, v.value]));
  /** What the approval counters gained since `before` (each test counts its own clicks, whatever ran before it). */
  const gained = async (before: Record<string, number>) =>
    Object.fromEntries(Object.entries(await counter()).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0));

  let waveId = '';
  let planHash = '';
  /**
   * The fixture of the retry and rename tests, made once by whichever runs first (so each also runs alone): a Prod
   * wave that ended with one platform failure (kyma-cr-missing) and one customer task (custom-cr). Its approval is
   * put into the journal directly: the plan's own approval flow is slack-approval.test.ts's. Its runtimes belong to
   * the Factory step of the runbook, whose earlier steps are not done: a forced run, approved as such.
   */
  let arranged: Promise<void> | undefined;
  const prodWave = (): Promise<void> =>
    (arranged ??= (async () => {
      const journal = await t.services.journal();
      const [fresh, noKyma, custom] = (['fresh', 'no-kyma', 'custom-cr'] as const).map((s) => runtimeOf(sim.out, 'prod', s));
      await slash(`plan prod runtime-id=${fresh.runtimeId} runtime-id=${noKyma.runtimeId} runtime-id=${custom.runtimeId}`, 'U-REQ');
      const plan = [...fake.messages.values()].find((m) => m.channel === PROD && m.text.startsWith('Plan '))!;
      planHash = actionsOf(plan)[0].value as string;
      const now = Date.now();
      await journal.recordApproval({ planHash, approver: 'U-ONCALL', requestedBy: 'U-REQ', action: 'force', createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 3_600_000).toISOString() });
      expect(await slash(`run --plan ${planHash} --yes --force`, 'U-REQ')).toEqual([]);
      const [wave] = await journal.listWaves({ env: 'prod' });
      waveId = wave.waveId;
      expect(wave.state).toBe('finished');
    })());

  it('retry-failed: request in the wave thread; requester and non-on-call rejected; on-call accepted once; then the retry runs as the requester', async () => {
    const [fresh, noKyma, custom] = (['fresh', 'no-kyma', 'custom-cr'] as const).map((s) => runtimeOf(sim.out, 'prod', s));
    const journal = await t.services.journal();
    await prodWave();
    const before = new Map((await journal.listWaveRuntimes(waveId)).map((r) => [r.runtimeId, r]));
    expect(before.get(noKyma.runtimeId)).toMatchObject({ attempts: 1, result: { outcome: 'kyma-cr-missing', class: 'platform' } });
    const waveRef = (await journal.chatMessage('wave', waveId))!;

    // Act: retry-failed without an approval → refused, and the request goes to on-call in the wave's thread.
    const told = await slash(`retry-failed ${waveId} --yes`, 'U-REQ');
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('needs an on-call approval');
    expect(told[0]).toContain('"retry-failed"');
    expect(told[0]).toContain(`approval requested from <!subteam^SONCALL> in <#${PROD}>`);
    const request = structuredClone(threadOf(waveRef.channel, waveRef.ts).find((m) => m.text.startsWith('Approval needed: retry-failed'))!);
    expect(request).toBeDefined();
    const shown = texts(request.blocks);
    expect(shown).toContain('<!subteam^SONCALL>');
    expect(shown).toContain(`of wave \`${waveId}\``);
    // What will be retried: the one platform failure, nothing else.
    expect(shown).toContain(`1 runtimes that failed on the platform side run again\n  ${noKyma.runtimeId} kyma-cr-missing`);
    expect(shown).toContain(`\`/istio-migrate retry-failed ${waveId} --yes\` runs as <@U-REQ>`);
    const [approve] = actionsOf(request);
    expect(approve.confirm).toBeDefined();
    expect((await journal.listAudit({ limit: 20 })).find((a) => a.action === 'approval-requested')?.detail).toMatchObject({ action: 'retry-failed' });
    // Asking again while it is pending posts nothing new.
    expect((await slash(`retry-failed ${waveId} --yes`, 'U-REQ'))[0]).toContain('already requested by <@U-REQ>');
    expect(fake.callsTo('chat.postMessage')).toEqual([]);

    // The requester (though on call) and someone outside the on-call group are rejected, ephemerally.
    expect(await click(request, approve.action_id, 'U-REQ')).toEqual([expect.stringContaining('you requested this approval')]);
    expect(await click(request, approve.action_id, 'U-X')).toEqual([expect.stringMatching(/may not approve in prod: approvers are <!subteam\^SONCALL>/)]);
    expect((await journal.listApprovals(planHash)).filter((a) => a.action === 'retry-failed')).toEqual([]);
    expect((await journal.listWaveRuntimes(waveId)).find((r) => r.runtimeId === noKyma.runtimeId)!.attempts).toBe(1);

    // On call: accepted, shown on the request and in the thread; the retry runs as the requester.
    expect(await click(request, approve.action_id, 'U-ONCALL')).toEqual([]);
    const settled = fake.message(request.channel, request.ts)!;
    expect(actionsOf(settled)).toEqual([]);
    expect(texts(settled.blocks)).toMatch(/approved by <@U-ONCALL> at \d{4}-/);
    const thread = threadOf(waveRef.channel, waveRef.ts).map((m) => texts(m.blocks)).join('\n');
    expect(thread).toMatch(/retry-failed of plan `[0-9a-f]{12}` approved by <@U-ONCALL> at/);
    expect(thread).toContain(`/istio-migrate retry-failed ${waveId} --yes\` by <@U-REQ>`); // its result, as the requester
    const approvals = (await journal.listApprovals(planHash)).filter((a) => a.action === 'retry-failed');
    expect(approvals).toEqual([expect.objectContaining({ approver: 'U-ONCALL' })]);
    const after = new Map((await journal.listWaveRuntimes(waveId)).map((r) => [r.runtimeId, r]));
    expect(after.get(noKyma.runtimeId)!.attempts).toBe(2); // retried
    expect(after.get(fresh.runtimeId)!.attempts).toBe(1); // migrated: left alone
    expect(after.get(custom.runtimeId)!.attempts).toBe(1); // customer case: left alone
    const audit = await journal.listAudit({ limit: 50 });
    expect(audit.filter((a) => a.action === 'retry-failed')).toEqual([expect.objectContaining({ actor: 'U-REQ', subject: waveId, detail: { runtimes: 1 } })]);

    // A second click (or Slack's retry of the same click): idempotent — no second approval, no second retry.
    expect(await click(request, approve.action_id, 'U-ONCALL')).toEqual([expect.stringContaining('already approved by <@U-ONCALL>')]);
    expect((await journal.listApprovals(planHash)).filter((a) => a.action === 'retry-failed')).toHaveLength(1);
    expect((await journal.listWaveRuntimes(waveId)).find((r) => r.runtimeId === noKyma.runtimeId)!.attempts).toBe(2);
    expect((await journal.listAudit({ limit: 50 })).filter((a) => a.action === 'approve-click').map((a) => (a.detail as { outcome: string }).outcome)).toEqual(
      expect.arrayContaining(['requester', 'not-on-call', 'accepted', 'duplicate']),
    );

    // Every click counted, by environment and result.
    expect(await counter()).toEqual({ 'prod/requester': 1, 'prod/not-on-call': 1, 'prod/accepted': 1, 'prod/duplicate': 1 });
    expect(await metrics.registry.metrics()).toContain('istio_migrate_approval_events_total{env="prod",result="not-on-call"} 1');
    expect(fake.unexpected).toEqual([]);
  });

  it('task rename in Prod: a refused `task … rename` asks on-call in the task thread; once approved it renames as the requester', async () => {
    const journal = await t.services.journal();
    await prodWave();
    const counted = await counter();
    const custom = runtimeOf(sim.out, 'prod', 'custom-cr');
    const task = (await journal.listTasks()).find((x) => x.runtimeId === custom.runtimeId)!;
    expect(task).toMatchObject({ waveId, state: 'open' });
    const taskRef = (await journal.chatMessage('task', task.taskId))!;
    expect(taskRef.channel).toBe(CUSTOMER);

    expect(await slash(`task ${task.taskId} agreed`, 'U-REQ')).toEqual([]);
    const told = await slash(`task ${task.taskId} rename --yes`, 'U-REQ');
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`"rename:${custom.runtimeId}"`);
    expect(told[0]).toContain(`approval requested from <!subteam^SONCALL> in <#${CUSTOMER}>`);
    expect((await journal.getTask(task.taskId))!.state).toBe('agreed');
    const request = structuredClone(threadOf(CUSTOMER, taskRef.ts).find((m) => m.text.startsWith(`Approval needed: rename:${custom.runtimeId}`))!);
    expect(request).toBeDefined();
    expect(texts(request.blocks)).toContain(`task \`${task.taskId}\``);
    const [approve] = actionsOf(request);

    expect(await click(request, approve.action_id, 'U-REQ')).toEqual([expect.stringContaining('you requested this approval')]);
    expect((await journal.getTask(task.taskId))!.state).toBe('agreed');
    expect(await click(request, approve.action_id, 'U-ONCALL')).toEqual([]);
    expect((await journal.getTask(task.taskId))!).toMatchObject({ state: 'renamed', updatedBy: 'U-REQ' });
    expect((await journal.listApprovals(planHash)).filter((a) => a.action === `rename:${custom.runtimeId}`)).toEqual([expect.objectContaining({ approver: 'U-ONCALL' })]);
    const thread = threadOf(CUSTOMER, taskRef.ts).map((m) => texts(m.blocks)).join('\n');
    expect(thread).toMatch(new RegExp(`rename:${custom.runtimeId} of plan \`[0-9a-f]{12}\` approved by <@U-ONCALL> at`));
    expect(thread).toContain('renamed');
    expect(await gained(counted)).toEqual({ 'prod/requester': 1, 'prod/accepted': 1 });
    expect(fake.unexpected).toEqual([]);
  });

  it('resume of an aborted wave: the Resume path asks on-call (the environment channel when the wave has no message) and resumes once approved', async () => {
    const journal = await t.services.journal();
    const counted = await counter();
    const migrated = runtimeOf(sim.out, 'prod', 'already-migrated');
    await slash(`plan prod runtime-id=${migrated.runtimeId}`, 'U-REQ');
    const plan = [...fake.messages.values()].filter((m) => m.channel === PROD && m.text.startsWith('Plan ')).at(-1)!;
    const hash = actionsOf(plan)[0].value as string;
    // What an abort leaves behind: an aborted wave whose runtimes did not start (no Slack message of its own).
    const stored = (await journal.getPlan(hash))!;
    const doc = stored.document as { runtimes: Parameters<typeof journal.createWave>[1] };
    const aborted = await journal.createWave({ env: 'prod', target: stored.target, planHash: hash, state: 'aborted', concurrency: 1, requestedBy: 'U-REQ', approvedBy: 'U-ONCALL' }, doc.runtimes);

    const told = await slash(`resume ${aborted.waveId} --yes`, 'U-REQ');
    expect(told[0]).toContain('"resume"');
    expect(told[0]).toContain(`in <#${PROD}>`);
    const request = structuredClone([...fake.messages.values()].find((m) => m.channel === PROD && !m.threadTs && m.text.startsWith('Approval needed: resume'))!);
    expect(texts(request.blocks)).toContain(`of wave \`${aborted.waveId}\``);
    expect((await journal.getWave(aborted.waveId))!.state).toBe('aborted');

    expect(await click(request, actionsOf(request)[0].action_id, 'U-ONCALL')).toEqual([]);
    const runtimes = await journal.listWaveRuntimes(aborted.waveId);
    expect(runtimes.map((r) => [r.state, r.attempts, r.result?.outcome])).toEqual([['finished', 1, 'already-migrated']]);
    expect((await journal.getWave(aborted.waveId))!.state).toBe('finished');
    expect((await journal.listAudit({ subject: aborted.waveId, limit: 10 })).find((a) => a.action === 'resume')).toMatchObject({ actor: 'U-REQ', detail: { from: 'aborted' } });
    expect(await gained(counted)).toEqual({ 'prod/accepted': 1 });
    expect(fake.unexpected).toEqual([]);
  });
});
