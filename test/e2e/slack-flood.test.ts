/**
 * A Slack review's finding: every post of the bot to a channel waits in one queue for that channel's budget, so a
 * user typing `/istio-migrate status` in a loop in the Prod channel held the "Approval needed" post back behind all
 * of its replies (30 s for 20). Replies to commands now wait behind the bot's own posts (poster.ts `later`). With the
 * real per-channel budget (2 at once, then 40 a minute), through Bolt's receiver: the request is posted before the
 * flood's replies are.
 */
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_BUDGETS } from '../../src/chat/slack/poster.js';
import { buttonPayload, postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { outsideRunbook, runtimeOf, type SimConfigDoc } from '../helpers/sim.js';
import { SECRET, slackSetup } from './harness.js';

const PROD = 'C-PROD';
const FLOOD = 12;

describe('src/chat/slack/poster.ts — a flood of command replies does not hold up an approval request', () => {
  const s = slackSetup({
    fake: { usergroups: { SONCALL: ['U-ONCALL'] }, limits: { 'chat.postMessage': null } },
    approval: { prod: { approvers: [], approverGroup: 'SONCALL', operators: ['U-REQ'] } },
    config: (cfg) => {
      outsideRunbook(cfg as SimConfigDoc);
      cfg.simulated = false;
      cfg.chat = { channels: { prod: PROD } };
    },
    more: { budgets: { 'chat.postMessage': DEFAULT_BUDGETS['chat.postMessage'] } } as never,
  });

  it(`posts the approval request ahead of ${FLOOD} status replies queued before it`, async () => {
    let n = 0;
    const send = (text: string, user: string) => {
      const p = slashPayload(text, { user, channel: PROD });
      p.trigger_id = `flood.${n++}`;
      return postSigned(s.t.eventsUrl, p, SECRET);
    };
    await send(`prod runtime-id=${runtimeOf(s.sim.out, 'prod', 'fresh').runtimeId}`, 'U-REQ');
    await s.t.bot.idle();
    const plan = structuredClone([...s.fake.messages.values()].find((m) => m.channel === PROD && m.text.startsWith('Plan '))!);
    const hash = plan.blocks.filter((b: Json) => b.type === 'actions').flatMap((b: Json) => b.elements)[0].value as string;
    s.fake.reset();
    await Promise.all(Array.from({ length: FLOOD }, () => send('status', 'U-MEMBER')));
    const click = buttonPayload(plan, `im:request-approval:${hash}`, 'U-REQ');
    click.trigger_id = 'flood.request';
    await postSigned(s.t.eventsUrl, { payload: JSON.stringify(click) }, SECRET);
    await s.t.bot.idle();
    const posts = s.fake.callsTo('chat.postMessage').map((c) => String(c.body.text));
    const request = posts.findIndex((t) => t.startsWith('Approval needed'));
    expect(request).toBeGreaterThanOrEqual(0);
    // The status replies posted after the request: all but the few the budget let through before the click.
    expect(posts.length - 1 - request).toBeGreaterThan(FLOOD / 2);
  }, 120_000);
});
