/**
 * A review of the Slack path in Prod, reproduced through Bolt's real receiver with signed requests: a Prod wave runs
 * only on a fresh, deliberate approval.
 * - Two Approve clicks at once (the on-call group looked up anew: an await before the click is claimed) record one
 *   approval, and nothing left over runs the plan again later.
 * - A cancelled plan: re-planning by someone who may not cancel does not lift the cancellation; the Approve button
 *   of a request made before the cancellation stays dead even after an operator lifts it.
 * - A hash with anything but hex digits names no plan (it was stripped down to a prefix of some plan).
 * - Two Request approval clicks at once ping on-call once.
 * - On-call who planned the same hash to review it still approves the request of the one who asked.
 * - In Slack, `approve` without a hash shows an example Slack accepts (no `--as`).
 */
import { describe, expect, it } from '@jest/globals';
import { buttonPayload, postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { outsideRunbook, runtimeOf, type SimConfigDoc } from '../helpers/sim.js';
import { SECRET, slackSetup } from './harness.js';

const PROD = 'C-PROD';
const actionsOf = (m: Json): Json[] => m.blocks.filter((b: Json) => b.type === 'actions').flatMap((b: Json) => b.elements);
const texts = (blocks: Json[]): string => blocks.flatMap((b: Json) => [b.text?.text ?? '', ...(b.elements ?? []).map((e: Json) => (typeof e === 'string' ? e : (e.text?.text ?? e.text ?? '')))]).join('\n');
let n = 0;

describe('src/chat/slack approvals — one deliberate approval per Prod wave', () => {
  const s = slackSetup({
    fake: { usergroups: { SONCALL: ['U-ONCALL', 'U-ONCALL2'] }, limits: { 'chat.postMessage': null } },
    approval: { prod: { approvers: [], approverGroup: 'SONCALL', operators: ['U-REQ', 'U-OP'] } },
    config: (cfg) => {
      outsideRunbook(cfg as SimConfigDoc);
      cfg.simulated = false;
      cfg.chat = { channels: { prod: PROD }, customerContactChannel: 'C-CUST' };
      cfg.environments.prod.budgets = { wave: 10 };
    },
    // The on-call group is looked up at every click: the lookup is an await between judging a click and claiming it.
    more: { groupCacheMs: 0 } as never,
  });

  /** What the bot answered: ephemerals (to whom) and posts. */
  async function said(): Promise<string[]> {
    await s.t.bot.idle();
    return [...s.fake.callsTo('chat.postEphemeral').map((c) => `[to ${c.body.user}] ${texts(c.body.blocks)}`), ...s.fake.callsTo('chat.postMessage').map((c) => `[post] ${String(c.body.text)} ${JSON.stringify(c.body.blocks ?? [])}`)];
  }
  async function slash(text: string, user: string): Promise<string[]> {
    s.fake.reset();
    const p = slashPayload(text, { user });
    p.trigger_id = `s.${n++}`;
    await postSigned(s.t.eventsUrl, p, SECRET);
    return said();
  }
  const clickBody = (m: Json, actionId: string, user: string) => {
    const p = buttonPayload(m, actionId, user);
    p.trigger_id = `c.${n++}`;
    return { payload: JSON.stringify(p) };
  };
  async function click(m: Json, actionId: string, user: string): Promise<string[]> {
    s.fake.reset();
    await postSigned(s.t.eventsUrl, clickBody(m, actionId, user), SECRET);
    return said();
  }
  /** Plans one Prod runtime as U-REQ and requests approval: the plan message, its hash and the request message. */
  async function requested(scenario: Parameters<typeof runtimeOf>[2]): Promise<{ plan: Json; hash: string; request: Json; line: string }> {
    const line = `prod runtime-id=${runtimeOf(s.sim.out, 'prod', scenario).runtimeId}`;
    await slash(line, 'U-REQ');
    const plan = structuredClone([...s.fake.messages.values()].filter((m) => m.channel === PROD && m.text.startsWith('Plan ')).at(-1)!);
    const hash = actionsOf(plan)[0].value as string;
    await click(plan, `im:request-approval:${hash}`, 'U-REQ');
    const request = structuredClone([...s.fake.messages.values()].filter((m) => m.threadTs === plan.ts && m.text.startsWith('Approval needed')).at(-1)!);
    expect(request).toBeDefined();
    return { plan, hash, request, line };
  }

  it('a plan is named by its hex digits: a typo names none, in approve, cancel and run', async () => {
    // The journal's one plan: a typo stripped down to its hex digits (none) was a prefix of it.
    await slash(`plan prod runtime-id=${runtimeOf(s.sim.out, 'prod', 'already-migrated').runtimeId}`, 'U-REQ');
    const j = await s.t.services.journal();
    for (const [cmd, user] of [
      ['approve zzzzzzzz', 'U-ONCALL'],
      ['cancel qqqqqqqq', 'U-OP'],
      ['run --plan zzzzzzzz --yes', 'U-REQ'],
    ] as const) {
      expect((await slash(cmd, user)).join('\n')).toContain('no stored plan');
    }
    expect(await j.listAudit({ limit: 20 })).not.toContainEqual(expect.objectContaining({ action: expect.stringMatching(/^(approve|cancel)$/) }));
    expect(await j.listWaves({ env: 'prod' })).toEqual([]);
  });

  it('two Approve clicks at once record one approval; the plan then runs again only on a new one', async () => {
    const { hash, request } = await requested('fresh');
    const approveId = actionsOf(request)[0].action_id as string;
    s.fake.reset();
    await Promise.all(['U-ONCALL', 'U-ONCALL2'].map((u) => postSigned(s.t.eventsUrl, clickBody(request, approveId, u), SECRET)));
    const answers = await said();
    const j = await s.t.services.journal();
    expect(await j.listApprovals(hash)).toHaveLength(1);
    expect(answers.filter((a) => a.includes('is run now'))).toHaveLength(1);
    const waves = await j.listWaves({ env: 'prod' });
    expect(waves.map((w) => w.planHash)).toEqual([hash]);

    // Once the wave ended, its requester's run of the same plan asks for a new approval: nothing was left over.
    await s.t.bot.idle();
    const again = await slash(`run --plan ${hash} --yes`, 'U-REQ');
    expect(again.join('\n')).toMatch(/approval requested/);
    expect(await j.listWaves({ env: 'prod' })).toHaveLength(1);
  });

  it('a cancelled plan stays cancelled when someone who may not cancel plans it again, and a request made before the cancel stays dead', async () => {
    const { plan, hash, request, line } = await requested('with-keda');
    const j = await s.t.services.journal();
    await click(plan, actionsOf(plan)[1].action_id as string, 'U-OP'); // Cancel
    expect(await j.planCancellation(hash)).toMatchObject({ cancelledBy: 'U-OP' });

    // Anyone may plan; that does not undo an operator's cancel, and the plan says so.
    const replanned = await slash(line, 'U-MEMBER');
    expect(replanned.join('\n')).toContain('cancelled by U-OP');
    expect(await j.planCancellation(hash)).toMatchObject({ cancelledBy: 'U-OP' });
    expect((await click(request, actionsOf(request)[0].action_id as string, 'U-ONCALL')).join('\n')).toContain('not approved');

    // An operator lifts it by planning again; the old request's button still approves nothing: on-call is asked anew.
    await slash(line, 'U-OP');
    expect(await j.planCancellation(hash)).toBeUndefined();
    expect((await click(request, actionsOf(request)[0].action_id as string, 'U-ONCALL')).join('\n')).toContain('not approved');
    expect((await j.listApprovals(hash)).filter((a) => !a.usedAt)).toEqual([]);
    expect((await j.listWaves({ env: 'prod' })).filter((w) => w.planHash === hash)).toEqual([]);
  });

  it('two Request approval clicks at once ping on-call once', async () => {
    const line = `prod runtime-id=${runtimeOf(s.sim.out, 'prod', 'existing-default').runtimeId}`;
    await slash(line, 'U-REQ');
    const plan = structuredClone([...s.fake.messages.values()].filter((m) => m.channel === PROD && m.text.startsWith('Plan ')).at(-1)!);
    const hash = actionsOf(plan)[0].value as string;
    s.fake.reset();
    await Promise.all([1, 2].map(() => postSigned(s.t.eventsUrl, clickBody(plan, `im:request-approval:${hash}`, 'U-REQ'), SECRET)));
    const answers = await said();
    expect(answers.filter((a) => a.startsWith('[post] Approval needed'))).toHaveLength(1);
  });

  it('on-call who planned the same hash to review it approves the request of the one who asked', async () => {
    const { hash, request, line } = await requested('custom-cr');
    await slash(line, 'U-ONCALL');
    const answers = await click(request, actionsOf(request)[0].action_id as string, 'U-ONCALL');
    expect(answers.join('\n')).not.toContain('cannot approve');
    expect(await (await s.t.services.journal()).listApprovals(hash)).toEqual([expect.objectContaining({ approver: 'U-ONCALL', requestedBy: 'U-REQ' })]);
  });

  it('approve without a hash shows an example that works in Slack', async () => {
    const answer = (await slash('approve', 'U-ONCALL')).join('\n');
    expect(answer).toContain('approve 3f2a9c1b7d4e');
    expect(answer).not.toContain('--as');
  });
});
