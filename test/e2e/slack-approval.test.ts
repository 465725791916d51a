import { describe, expect, it } from '@jest/globals';
import { buttonPayload, postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { runtimeOf, outsideRunbook, type SimConfigDoc } from '../helpers/sim.js';
import { findResource } from '../../src/sim/k8s/resources.js';
import { SECRET, slackSetup } from './harness.js';

const PROD = 'C-PROD';
const CUSTOMER = 'C-CUSTOMER';
const texts = (blocks: Json[]) => blocks.flatMap((b: Json) => [b.text?.text ?? '', ...(b.fields ?? []).map((f: Json) => f.text), ...(b.elements ?? []).map((e: Json) => e.text ?? '')]).join('\n');
const actionsOf = (m: Json) => m.blocks.filter((b: Json) => b.type === 'actions').flatMap((b: Json) => b.elements);

describe('src/chat/slack/listeners/actions + approvals.ts — Prod approval by button, and a Prod task rename behind it', () => {
  const s = slackSetup({
      // U-REQ is on call too: requesting and approving one's own plan is refused all the same.
      fake: { usergroups: { SONCALL: ['U-ONCALL', 'U-REQ'] }, limits: { 'chat.postMessage': null } },
      approval: { prod: { approvers: [], approverGroup: 'SONCALL', operators: [] } },
      config: (cfg) => {
        outsideRunbook(cfg as SimConfigDoc); // waves of chosen runtimes, not runbook steps
        cfg.chat = { channels: { prod: PROD }, customerContactChannel: CUSTOMER };
        cfg.environments.prod.budgets = { wave: 10 };
      },
    });

  async function click(message: { channel: string; ts: string; text: string; blocks: Json[] }, actionId: string, user: string) {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(message, actionId, user)) }, SECRET);
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    return s.fake.callsTo('chat.postEphemeral').filter((c) => c.body.user === user).map((c) => texts(c.body.blocks));
  }

  it('requester rejected, non-on-call rejected, expired rejected, on-call accepted once; then the task rename needs its own approval', async () => {
    const fresh = runtimeOf(s.sim.out, 'prod', 'fresh');
    const custom = runtimeOf(s.sim.out, 'prod', 'custom-cr');
    await postSigned(s.t.eventsUrl, slashPayload(`prod runtime-id=${fresh.runtimeId} runtime-id=${custom.runtimeId}`, { user: 'U-REQ' }), SECRET);
    await s.t.bot.idle();
    const plan = structuredClone([...s.fake.messages.values()].find((m) => m.channel === PROD && m.text.startsWith('Plan '))!);
    expect(actionsOf(plan).map((e: Json) => e.text.text)).toEqual(['Request approval', 'Cancel']);
    const hash = actionsOf(plan)[0].value as string;

    // Request approval: an approval message in the plan's thread, with the --preview predictions, mentioning on-call.
    expect(await click(plan, `im:request-approval:${hash}`, 'U-REQ')).toEqual([]);
    const request = structuredClone([...s.fake.messages.values()].find((m) => m.threadTs === plan.ts && m.text.startsWith('Approval needed'))!);
    const shown = texts(request.blocks);
    expect(shown).toContain('<!subteam^SONCALL>');
    expect(shown).toContain('preview (read every SKR)');
    expect(shown).toContain(custom.runtimeId); // predicted: held, multiple Istio CRs
    expect(texts(s.fake.message(PROD, plan.ts)!.blocks)).toContain('approval requested by <@U-REQ>');
    const approveId = actionsOf(request)[0].action_id as string;
    expect(actionsOf(request)[0].confirm).toBeDefined();
    const journal = await s.t.services.journal();

    // The requester (though on call) cannot approve; nor can someone outside the on-call group.
    expect(await click(request, approveId, 'U-REQ')).toEqual([expect.stringContaining('you requested this approval')]);
    expect(await click(request, approveId, 'U-X')).toEqual([expect.stringMatching(/may not approve in prod: approvers are <!subteam\^SONCALL>/)]);
    expect(await journal.listApprovals(hash)).toEqual([]);

    // Expired: an approval recorded in the past does not let the plan run; an expired request cannot be approved.
    await journal.recordApproval({ planHash: hash, approver: 'U-ONCALL', requestedBy: 'U-REQ', createdAt: '2020-01-01T00:00:00.000Z', expiresAt: '2020-01-01T01:00:00.000Z', action: 'run' });
    s.fake.reset();
    await postSigned(s.t.eventsUrl, slashPayload(`run --plan ${hash} --yes`, { user: 'U-REQ' }), SECRET);
    await s.t.bot.idle();
    expect(texts(s.fake.callsTo('chat.postEphemeral')[0].body.blocks)).toContain('none is valid');
    expect(await journal.listWaves({ env: 'prod' })).toEqual([]);
    const saved = (await journal.approvalRequest(approveId.slice('im:approve:'.length)))!;
    await journal.saveApprovalRequest({ ...saved, expiresAt: '2020-01-01T00:00:00.000Z' });
    expect(await click(request, approveId, 'U-ONCALL')).toEqual([expect.stringContaining('the request expired')]);
    await journal.saveApprovalRequest(saved);

    // On call, not the requester, in time: approved once, shown in the thread, and the wave runs as the requester.
    expect(await click(request, approveId, 'U-ONCALL')).toEqual([]);
    const threadNote = s.fake.callsTo('chat.postMessage').find((c) => c.body.thread_ts === plan.ts && String(c.body.text).includes('approved by <@U-ONCALL> at'));
    expect(threadNote).toBeDefined();
    expect(await click(request, approveId, 'U-ONCALL')).toEqual([expect.stringContaining('already approved by <@U-ONCALL>')]);
    const waves = await journal.listWaves({ env: 'prod' });
    expect(waves).toHaveLength(1);
    expect(waves[0]).toMatchObject({ requestedBy: 'U-REQ', approvedBy: 'U-ONCALL', planHash: hash });
    expect((await journal.listApprovals(hash)).filter((a) => Date.parse(a.expiresAt) > Date.now())).toHaveLength(1);
    // Issue 14: the approval was good for that one wave. The same plan again — by the requester, or by someone who
    // never asked — is refused for want of a new approval, and no second wave starts.
    for (const user of ['U-REQ', 'U-OTHER']) {
      s.fake.reset();
      await postSigned(s.t.eventsUrl, slashPayload(`run --plan ${hash} --yes`, { user }), SECRET);
      await s.t.bot.idle();
      expect(texts(s.fake.callsTo('chat.postEphemeral').find((c) => c.body.user === user)!.body.blocks)).toContain('none is valid');
    }
    expect(await journal.listWaves({ env: 'prod' })).toHaveLength(1);
    expect((await journal.listApprovals(hash)).find((a) => a.approver === 'U-ONCALL' && Date.parse(a.expiresAt) > Date.now())).toMatchObject({ usedBy: 'U-REQ', requestedBy: 'U-REQ' });
    const audit = await journal.listAudit({ limit: 50 });
    expect(audit.filter((a) => a.action === 'approve-click').map((a) => (a.detail as { outcome: string }).outcome)).toEqual(expect.arrayContaining(['requester', 'not-on-call', 'expired', 'accepted']));
    // The wave's end mentions the requester and on-call.
    const ref = (await journal.chatMessage('wave', waves[0].waveId))!;
    const ended = [...s.fake.messages.values()].find((m) => m.threadTs === ref.ts && m.text.startsWith(`Wave ${waves[0].waveId}`))!;
    expect(texts(ended.blocks)).toContain('<@U-REQ> <!subteam^SONCALL>');

    // The customer-contact task: Customer agreed in Prod asks on-call for `rename:<runtimeId>` first.
    const [task] = await journal.listTasks();
    expect(task.runtimeId).toBe(custom.runtimeId);
    const taskRef = (await journal.chatMessage('task', task.taskId))!;
    expect(taskRef.channel).toBe(CUSTOMER);
    const taskMsg = structuredClone(s.fake.message(CUSTOMER, taskRef.ts)!);
    expect(await click(taskMsg, `im:task-agreed:${task.taskId}`, 'U-REQ')).toEqual([]);
    expect((await journal.getTask(task.taskId))!.state).toBe('agreed');
    const renameRequest = structuredClone([...s.fake.messages.values()].find((m) => m.threadTs === taskRef.ts && m.text.startsWith('Approval needed'))!);
    expect(renameRequest.text).toContain(`rename:${custom.runtimeId}`);
    // A shell-style attempt without the approval is refused by the command itself.
    s.fake.reset();
    await postSigned(s.t.eventsUrl, slashPayload(`task ${task.taskId} rename --yes`, { user: 'U-REQ' }), SECRET);
    await s.t.bot.idle();
    expect(texts(s.fake.callsTo('chat.postEphemeral')[0].body.blocks)).toContain(`rename:${custom.runtimeId}`);
    expect(await click(renameRequest, actionsOf(renameRequest)[0].action_id, 'U-ONCALL')).toEqual([]);
    const renamed = (await journal.getTask(task.taskId))!;
    expect(renamed).toMatchObject({ state: 'renamed', updatedBy: 'U-REQ' });
    const thread = [...s.fake.messages.values()].filter((m) => m.threadTs === taskRef.ts).map((m) => texts(m.blocks)).join('\n');
    expect(thread).toContain('renamed');
    expect(s.fake.unexpected).toEqual([]);
  });

  it('the Approve button of a lapsed request approves nothing once a later request of the same plan replaced it (another requester)', async () => {
    const rt = runtimeOf(s.sim.out, 'prod', 'existing-default');
    const journal = await s.t.services.journal();
    const planAndRequest = async (user: string) => {
      s.fake.reset();
      await postSigned(s.t.eventsUrl, slashPayload(`prod runtime-id=${rt.runtimeId}`, { user }), SECRET);
      await s.t.bot.idle();
      const plan = structuredClone([...s.fake.messages.values()].filter((m) => m.channel === PROD && m.text.startsWith('Plan ') && texts(m.blocks).includes(rt.runtimeId.slice(0, 8))).at(-1)!);
      const hash = actionsOf(plan)[0].value as string;
      expect(await click(plan, `im:request-approval:${hash}`, user)).toEqual([]);
      const request = structuredClone([...s.fake.messages.values()].filter((m) => m.threadTs === plan.ts && m.text.startsWith('Approval needed')).at(-1)!);
      expect(texts(request.blocks)).toContain(`<@${user}> asks for an approval`);
      return { hash, request };
    };
    const first = await planAndRequest('U-REQ');
    // The first request lapses unanswered; U-X asks for the same plan and action.
    const id = actionsOf(first.request)[0].value as string;
    await journal.saveApprovalRequest({ ...(await journal.approvalRequest(id))!, expiresAt: '2020-01-01T00:00:00.000Z' });
    const second = await planAndRequest('U-X');
    expect(second.hash).toBe(first.hash);
    // On-call clicks the old message, which names U-REQ: nothing is approved for U-X, no wave runs.
    expect(await click(first.request, actionsOf(first.request)[0].action_id as string, 'U-ONCALL')).toEqual([expect.stringContaining('this request was replaced by a later one from <@U-X>')]);
    expect((await journal.listApprovals(first.hash)).filter((a) => Date.parse(a.expiresAt) > Date.now())).toEqual([]);
    expect((await journal.listWaves({ env: 'prod' })).filter((w) => w.planHash === first.hash)).toEqual([]);
    // The later message's own button still works.
    expect(await click(second.request, actionsOf(second.request)[0].action_id as string, 'U-ONCALL')).toEqual([]);
    await s.t.bot.idle();
    expect((await journal.listApprovals(first.hash)).find((a) => a.approver === 'U-ONCALL' && Date.parse(a.expiresAt) > Date.now())).toMatchObject({ requestedBy: 'U-X' });
  });

  it('an approved run that the run itself refuses (the landscape changed) says so in the thread that announced the approval', async () => {
    const rt = runtimeOf(s.sim.out, 'prod', 'with-keda');
    s.fake.reset();
    await postSigned(s.t.eventsUrl, slashPayload(`prod runtime-id=${rt.runtimeId}`, { user: 'U-REQ' }), SECRET);
    await s.t.bot.idle();
    const plan = structuredClone([...s.fake.messages.values()].find((m) => m.channel === PROD && m.text.startsWith('Plan ') && texts(m.blocks).includes(rt.runtimeId.slice(0, 8)))!);
    const hash = actionsOf(plan)[0].value as string;
    expect(await click(plan, `im:request-approval:${hash}`, 'U-REQ')).toEqual([]);
    const request = structuredClone([...s.fake.messages.values()].find((m) => m.threadTs === plan.ts && m.text.startsWith('Approval needed'))!);
    // The landscape changes between the request and the click: LM's regular template gets a new version — one that
    // carries Slack markup, which the thread must show as text (no @channel, no disguised link in a Prod channel).
    const version = '9.9.9 <!channel> <http://evil.example/approve|click here to re-approve>';
    const store = s.sim.sim.cluster('prod-kcp')!.store;
    const TEMPLATE = findResource('operator.kyma-project.io', 'v1beta2', 'moduletemplates')!;
    const regular = store.list(TEMPLATE, 'kcp-system').find((t) => t.metadata.name === 'istio-regular')!;
    const bumped = { ...regular, metadata: { ...regular.metadata, annotations: { ...regular.metadata.annotations, 'operator.kyma-project.io/module-version': version } }, spec: { ...(regular.spec as object), version } };
    store.update(TEMPLATE, bumped);
    try {
      expect(await click(request, actionsOf(request)[0].action_id as string, 'U-ONCALL')).toEqual([]);
      const thread = s.fake.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === plan.ts).map((c) => String(c.body.text));
      expect(thread).toEqual(expect.arrayContaining([expect.stringContaining('approved by <@U-ONCALL>'), expect.stringContaining(':no_entry: the approved run did not start')]));
      const refusal = s.fake.callsTo('chat.postMessage').find((c) => c.body.thread_ts === plan.ts && String(c.body.text).includes('did not start'))!;
      expect(JSON.stringify(refusal.body.blocks)).toContain('9.9.9 &lt;!channel&gt; &lt;http://evil.example/approve|click here to re-approve&gt;');
      expect(JSON.stringify([refusal.body.blocks, refusal.body.text])).not.toMatch(/<!channel>|<http:/);
      expect((await (await s.t.services.journal()).listWaves({ env: 'prod' })).filter((w) => w.planHash === hash)).toEqual([]);
    } finally {
      const now = store.list(TEMPLATE, 'kcp-system').find((t) => t.metadata.name === 'istio-regular')!;
      store.update(TEMPLATE, { ...regular, metadata: { ...regular.metadata, resourceVersion: now.metadata.resourceVersion } });
    }
  });
});
